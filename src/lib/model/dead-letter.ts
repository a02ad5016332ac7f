import type { RowSource } from './hire-job';
import type { Operation } from '../feishu/hire-schemas';

/** Everything needed to inspect and replay a failed row. Never a token or secret. */
export interface DeadLetter {
  jobId: string;
  batchId: string;
  operation: Operation;
  input: Record<string, unknown>;
  source?: RowSource;
  /** Feishu's code, or NETWORK, INVALID_INPUT, HTTP_<status>. */
  code: string;
  message: string;
  httpStatus?: number;
  logId?: string;
  /** Why it landed here: a permanent answer, retries exhausted, a real duplicate, ... */
  reason: string;
  attemptsMade: number;
  attempts: AttemptRecord[];
  firstAttemptAt?: string;
  deadLetteredAt: string;
}

/** One call that failed, as a dead letter lists it. */
export interface AttemptRecord {
  at: string;
  code: string;
  message: string;
  httpStatus?: number;
  logId?: string;
}
