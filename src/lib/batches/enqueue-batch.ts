import type { BatchStore } from './batch-store';
import { hireJobId, type HireJobData, type RowSource } from '../jobs/hire-job';
import type { HireQueues } from '../jobs/hire-queues';
import type { InputOf, Operation } from '../feishu/hire-schemas';

/** A validated row, ready to become a job. */
export interface AcceptedRow<O extends Operation = Operation> {
  line: number;
  input: InputOf[O];
}

/**
 * Enqueues validated rows as one bulk add. The rows are recorded in the batch first, so a crash
 * between the two leaves rows pending (visible, and fixed by running the same batch again) rather
 * than jobs the report does not know.
 */
export async function enqueueRows<O extends Operation>(
  queues: HireQueues,
  batches: BatchStore,
  batchId: string,
  operation: O,
  rows: AcceptedRow<O>[],
  /** The input file, named in each job's source (and so in its dead letter). */
  sourceFile?: string,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const jobs = rows.map((row) => {
    const source: RowSource = { line: row.line, ...(sourceFile !== undefined ? { file: sourceFile } : {}) };
    const data = { operation, input: row.input, batchId, source } as HireJobData;
    return { name: operation, data, opts: { jobId: hireJobId(operation, batchId, row.input) } };
  });
  await batches.addRows(
    batchId,
    rows.map((row, i) => ({ line: row.line, jobId: jobs[i]!.opts.jobId, input: row.input })),
  );
  await queues.byOperation(operation).addBulk(jobs);
  return jobs.map((j) => j.opts.jobId);
}
