import type { Job, Queue } from 'bullmq';
import type { AttemptRecord } from '../jobs/attempt-journal';
import type { RowSource } from '../jobs/hire-job';
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

export interface DeadLetterFilter {
  operation?: Operation;
  code?: string;
  batchId?: string;
}

/** Adds the entry under the job's own id, so a job dead-lettered twice (after a crash) is one entry. */
export async function addDeadLetter(queue: Queue<DeadLetter>, entry: DeadLetter): Promise<void> {
  await queue.add(entry.operation, entry, {
    jobId: entry.jobId,
    removeOnComplete: false,
    removeOnFail: false,
  });
}

/** Every dead letter matching `filter`, oldest first, read in pages. */
export async function listDeadLetters(
  queue: Queue<DeadLetter>,
  filter: DeadLetterFilter = {},
): Promise<Job<DeadLetter>[]> {
  const matches: Job<DeadLetter>[] = [];
  const pageSize = 500;
  for (let start = 0; ; start += pageSize) {
    const page = await queue.getJobs(
      ['waiting', 'prioritized', 'delayed'],
      start,
      start + pageSize - 1,
      true,
    );
    for (const job of page) {
      const d = job?.data;
      if (!d) continue;
      if (filter.operation && d.operation !== filter.operation) continue;
      if (filter.code && d.code !== filter.code) continue;
      if (filter.batchId && d.batchId !== filter.batchId) continue;
      matches.push(job);
    }
    if (page.length < pageSize) break;
  }
  return matches;
}
