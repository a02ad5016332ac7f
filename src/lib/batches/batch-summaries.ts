import type { Operation } from '../feishu/hire-schemas';
import type { BatchState, BatchStore } from './batch-store';

/** A batch in a list: `hire-queue batch --json` and the console's batch list show this. */
export interface BatchSummary {
  batchId: string;
  operation: Operation;
  /** A batch's state, or, for one confirmed in the console above its approval threshold, where its approval stands. */
  state: BatchState | 'awaitingApproval' | 'rejected';
  rows: number;
  jobs: number;
  done: number;
  createdAt: string;
}

/** The newest batches first, at most `limit`; a batch whose keys expired meanwhile is left out. */
export async function listBatchSummaries(batches: BatchStore, limit: number): Promise<BatchSummary[]> {
  const summaries: BatchSummary[] = [];
  for (const batchId of await batches.listBatchIds(limit)) {
    const [meta, progress] = await Promise.all([batches.meta(batchId), batches.progress(batchId)]);
    if (!meta) continue;
    summaries.push({
      batchId,
      operation: meta.operation,
      state: progress.state,
      rows: progress.rows,
      jobs: progress.jobs,
      done: progress.done,
      createdAt: new Date(meta.createdAtMs).toISOString(),
    });
  }
  return summaries;
}
