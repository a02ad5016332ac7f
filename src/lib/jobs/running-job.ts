import type { BatchStore } from '../batches/batch-store';
import type { Classification } from '../feishu/classify-outcome';
import type { FeishuClient } from '../feishu/feishu-client';
import type { Operation } from '../feishu/hire-schemas';
import type { JobRef } from '../job-state/job-events';
import type { JobState } from '../job-state/job-state';
import type { Logger } from '../logger';
import type { HireRow } from '../model/hire-job';
import type { OperationHandler } from '../operations/operation-handler';
import type { UpdatedSinceListing } from '../operations/updated-since-listing';
import type { HireQueues } from '../queues/hire-queues';
import type { RetryPolicy } from '../queues/retry-policy';
import type { HireJob } from './decode-job';

export interface ProcessorDeps {
  client: FeishuClient;
  /** Every write a job's life makes goes through it; its `events` announce outcomes. */
  state: JobState;
  /** The batches' reads: a row's file, a batch's control. */
  batches: BatchStore;
  queues: HireQueues;
  /** The close-out guard of rows that carry their job: one listing for the fleet, not a read per row. */
  updatedSince?: UpdatedSinceListing | undefined;
  policy: RetryPolicy;
  /** Aborted when the worker shuts down: calls not yet sent are not sent, their jobs released. */
  stopping?: AbortSignal;
  logger: Logger;
  /** Feishu refuses every call, of this process (`scope: process`) or of the fleet: stop it. */
  onFatal(classification: Classification): Promise<void>;
}

/** A job past `open`: its row read and valid, with what every later step needs. */
export interface RunningJob {
  job: HireJob;
  token: string | undefined;
  deps: ProcessorDeps;
  row: HireRow;
  handler: OperationHandler<Operation>;
  /** The job as events and logs name it. */
  ref: JobRef & { batchId: string };
  /** The call was admitted when the job was opened. */
  admittedAtOpen: boolean;
  /** With `existing: adopt`, a duplicate answer takes the existing application. */
  adoptExisting: boolean;
}

/** The job as events name it, from whatever of it could be read. */
export function jobRefOf(
  job: HireJob,
  row: { operation: Operation; batchId?: string | undefined; line?: number | undefined },
): JobRef {
  return {
    jobId: job.id!,
    operation: row.operation,
    batchId: row.batchId,
    line: row.line,
    attempt: job.attemptsMade + 1,
    startedAtMs: job.processedOn,
  };
}
