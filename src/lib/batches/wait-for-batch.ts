import { UnknownBatchError } from '../errors/unknown-batch-error';
import type { BatchMeta, BatchProgress, BatchStore } from './batch-store';

export interface WaitForBatchOptions {
  /** How often progress is read. @default 250 */
  pollMs?: number;
  /** Stops waiting early (the fleet halted, the user pressed Ctrl-C); resolves without finishing. */
  signal?: AbortSignal;
  /** Sees every reading, e.g. to draw a progress bar. */
  onProgress?: (progress: BatchProgress, meta: BatchMeta) => void;
}

/**
 * Resolves once the batch is finished: sealed, and every job with its outcome. Batches span
 * processes and machines, so progress is read from Redis rather than from events of this process.
 */
export async function waitForBatch(
  batches: BatchStore,
  batchId: string,
  options: WaitForBatchOptions = {},
): Promise<BatchProgress> {
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    const [meta, progress] = await Promise.all([batches.meta(batchId), batches.progress(batchId)]);
    if (!meta) throw new UnknownBatchError(batchId, batches.prefix);
    options.onProgress?.(progress, meta);
    if (progress.finished || options.signal?.aborted) return progress;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
