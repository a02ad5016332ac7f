import type { Job } from 'bullmq';
import { describeIssues, operations, type Operation } from '../feishu/hire-schemas';
import { decodeLegacyJob, type LegacyHireJobData } from '../legacy/before-0.3';
import { hireJobDataSchema, type HireJobData, type RowSource } from '../model/hire-job';
import type { JobOutcome } from '../model/job-outcome';

export type HireJob = Job<HireJobData | LegacyHireJobData, JobOutcome>;

/** What a job names: its batch, row and operation; a job of before 0.3 carries its input and file too. */
export interface DecodedJob {
  ok: true;
  operation: Operation;
  batchId: string;
  line: number;
  carried?: unknown;
  carriedSource?: RowSource;
}

/** A job whose data cannot be read: what could be (to dead-letter it), and why not. */
export interface UnreadableJob {
  ok: false;
  operation: Operation;
  batchId?: string;
  errors: string[];
  /** Whatever input the data held, for the dead letter, and the file and line it named. */
  carried?: unknown;
  carriedSource?: RowSource;
}

/** Step 1: the row a job stands for (its queue names the operation), or why its data cannot be read. */
export function decodeJob(job: HireJob): DecodedJob | UnreadableJob {
  const operation = operations.find((o) => o === job.queueName) ?? 'create';
  const current = hireJobDataSchema.safeParse(job.data);
  if (current.success) return { ok: true, operation, ...current.data };
  const legacy = decodeLegacyJob(job.data);
  if (legacy) {
    const { source, ...rest } = legacy;
    return { ok: true, ...rest, ...(source?.file !== undefined ? { carriedSource: source } : {}) };
  }
  const data = job.data as
    { batchId?: unknown; input?: unknown; source?: { file?: unknown; line?: unknown } } | undefined;
  const { file, line } = data?.source ?? {};
  return {
    ok: false,
    operation,
    ...(typeof data?.batchId === 'string' ? { batchId: data.batchId } : {}),
    ...(data?.input !== undefined ? { carried: data.input } : {}),
    ...(typeof file === 'string' && typeof line === 'number' ? { carriedSource: { file, line } } : {}),
    errors: describeIssues(current.error),
  };
}
