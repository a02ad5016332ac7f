import { setTimeout as delay } from 'node:timers/promises';
import { BatchLostError } from '../errors/batch-lost-error';
import { UnknownBatchError } from '../errors/unknown-batch-error';
import type { HireQueues } from '../queues/hire-queues';
import type { BatchMeta, BatchProgress, BatchStore } from './batch-store';

export interface WaitForBatchOptions {
  /** How often progress is read. @default 250 */
  pollMs?: number;
  /** How often to make sure Redis still holds the batch and its pending jobs. @default 10_000 */
  lossCheckMs?: number;
  /** Stops waiting early (the fleet halted, the user pressed Ctrl-C); resolves without finishing. */
  signal?: AbortSignal;
  /** Sees every reading, e.g. to draw a progress bar. */
  onProgress?: (progress: BatchProgress, meta: BatchMeta) => void;
}

/** Pending jobs looked up per loss check: if none of them exists, the jobs are gone. */
const LOSS_SAMPLE = 20;

/**
 * Resolves once the batch is finished: sealed (or cancelled), and every job with its outcome.
 * Batches span processes and machines, so progress is read from Redis rather than from events of
 * this process. An unknown batch fails at once; a batch whose state Redis lost while rows were
 * pending fails within `lossCheckMs` instead of waiting forever.
 */
export async function waitForBatch(
  target: { batches: BatchStore; queues: HireQueues },
  batchId: string,
  options: WaitForBatchOptions = {},
): Promise<BatchProgress> {
  const { batches } = target;
  const pollMs = options.pollMs ?? 250;
  const lossCheckMs = options.lossCheckMs ?? 10_000;
  let last: BatchProgress | undefined;
  let lastLossCheck = Date.now();
  for (;;) {
    const [meta, progress] = await Promise.all([batches.meta(batchId), batches.progress(batchId)]);
    if (!meta) {
      if (!last) throw new UnknownBatchError(batchId, batches.prefix);
      throw new BatchLostError(batchId, last.done, last.jobs, 'its record');
    }
    last = progress;
    options.onProgress?.(progress, meta);
    if (progress.finished || options.signal?.aborted) return progress;
    if (Date.now() - lastLossCheck >= lossCheckMs) {
      lastLossCheck = Date.now();
      if (await pendingJobsGone(target, batchId, meta))
        throw new BatchLostError(batchId, progress.done, progress.jobs, 'the jobs of its pending rows');
    }
    await delay(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

/** True when a sample of the batch's pending rows has no job left in its queue. */
async function pendingJobsGone(
  { batches, queues }: { batches: BatchStore; queues: HireQueues },
  batchId: string,
  meta: BatchMeta,
): Promise<boolean> {
  const queue = queues.byOperation(meta.operation);
  for await (const pending of batches.pendingJobIds(batchId, LOSS_SAMPLE)) {
    const sample = pending.slice(0, LOSS_SAMPLE);
    const jobs = await Promise.all(sample.map((id) => queue.getJob(id)));
    return jobs.every((job) => job === undefined);
  }
  return false;
}
