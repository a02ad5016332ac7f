import { BatchFinishedError } from '../errors/batch-finished-error';
import { UnknownBatchError } from '../errors/unknown-batch-error';
import type { HireQueues } from '../queues/hire-queues';
import type { JobState } from '../job-state/job-state';
import type { BatchControl, BatchState, BatchStore } from './batch-store';

type Target = { queues: HireQueues; batches: BatchStore; jobState: JobState };

export interface ControlResult {
  batchId: string;
  state: BatchState;
  /** Calls of the batch admitted before the change; they finish and are recorded. */
  inFlight: number;
  /** Jobs of the batch not done at the change (read in the same step). */
  notDone: number;
}

/**
 * Pauses a batch. When this resolves no call of the batch starts any more (a worker checks the
 * batch in the same Redis step that admits a call); its waiting rows are set aside in line order
 * as workers reach them, spending no attempt. Other batches keep flowing.
 */
export async function pauseBatch(target: Target, batchId: string): Promise<ControlResult> {
  return control(target, batchId, 'paused', 'pause');
}

/** Resumes a paused batch: its rows go back in line, in their original order. */
export async function resumeBatch(target: Target, batchId: string): Promise<ControlResult> {
  const result = await control(target, batchId, 'running', 'resume');
  await releaseParked(target, batchId);
  return result;
}

/**
 * Cancels a batch: no call of it starts any more, and every row no worker holds is recorded
 * `cancelled` and leaves the queue. Rows in flight finish and are recorded as they end.
 */
export async function cancelBatch(
  target: Target,
  batchId: string,
): Promise<ControlResult & { cancelled: number; notCalled: number }> {
  const result = await control(target, batchId, 'cancelled', 'cancel');
  // From here no call of the batch starts: every job not done but the calls in flight ends cancelled,
  // whether this removes it from the queue or a worker holding it records it.
  const notCalled = Math.max(0, result.notDone - result.inFlight);
  const meta = await target.batches.meta(batchId);
  const queue = target.queues.byOperation(meta!.operation);
  let cancelled = 0;
  for await (const pending of target.batches.pendingJobIds(batchId)) {
    const removed = await Promise.all(pending.map((jobId) => queue.remove(jobId)));
    const finishedAt = new Date().toISOString();
    for (const [i, jobId] of pending.entries()) {
      // A job a worker holds (removal refused) ends by that worker: cancelled before its call, or
      // with its call's outcome.
      if (removed[i] !== 1 && (await queue.getJob(jobId))) continue;
      if (await target.jobState.recordOutcome(batchId, jobId, { status: 'cancelled', finishedAt }))
        cancelled++;
    }
  }
  await target.batches.unpark(batchId, Number.MAX_SAFE_INTEGER);
  const progress = await target.batches.progress(batchId);
  return { ...result, state: progress.state, cancelled, notCalled };
}

/**
 * Puts parked jobs back in line, lowest line first. Also called by a worker that parked a job just
 * as the batch was resumed, so no job stays set aside.
 */
export async function releaseParked(target: Omit<Target, 'jobState'>, batchId: string): Promise<number> {
  const meta = await target.batches.meta(batchId);
  if (!meta || meta.control !== 'running') return 0;
  const queue = target.queues.byOperation(meta.operation);
  let released = 0;
  for (;;) {
    const ids = await target.batches.unpark(batchId, 500);
    if (ids.length === 0) return released;
    for (const jobId of ids) {
      const job = await queue.getJob(jobId);
      if (!job) continue;
      // Only a delayed job can be promoted; one still active is being parked right now and its
      // worker releases it itself once it sees the batch running.
      if (await job.isDelayed()) {
        await job.promote().catch(() => undefined);
        released++;
      }
    }
  }
}

async function control(
  target: Target,
  batchId: string,
  wanted: BatchControl,
  action: string,
): Promise<ControlResult> {
  const before = await target.batches.progress(batchId);
  const meta = await target.batches.meta(batchId);
  if (!meta) throw new UnknownBatchError(batchId, target.batches.prefix);
  if (before.state === 'finished' || before.state === 'cancelled')
    throw new BatchFinishedError(batchId, before.state, action);
  const changed = await target.batches.setControl(batchId, wanted);
  if (!changed) throw new UnknownBatchError(batchId, target.batches.prefix);
  const after = await target.batches.progress(batchId);
  return { batchId, state: after.state, inFlight: changed.inFlight, notDone: changed.notDone };
}
