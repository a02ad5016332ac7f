import type { Worker } from 'bullmq';
import type { BatchStore } from '../../src/lib/batches/batch-store';
import { enqueueBatch } from '../../src/lib/batches/enqueue-batch';
import type { ConfigSource } from '../../src/lib/config';
import type { InputOf, Operation } from '../../src/lib/feishu/hire-schemas';
import type { QueueRuntime, HireRuntime } from '../../src/lib/runtime/hire-runtime';
import type { HireQueues } from '../../src/lib/queues/hire-queues';
import type { JobOutcome } from '../../src/lib/model/job-outcome';
import { defaultRetryPolicy, type RetryPolicy } from '../../src/lib/queues/retry-policy';
import type { Sandbox } from '../../src/sandbox/sandbox-server';
import { startWorkers, type RunningWorkers, type StartWorkersOptions } from '../../src/workers/hire-worker';
import { deleteKeys, openRedis, testPrefix } from './redis';
import { track } from './resources';
import { openRuntime } from './runtime';

/** Fast retries, so tests of retry paths take milliseconds. */
export const quickPolicy: RetryPolicy = {
  ...defaultRetryPolicy,
  quickRetries: 1,
  quickMinDelayMs: 5,
  quickMaxDelayMs: 10,
  quickMaxTotalMs: 1000,
  attempts: 3,
  backoffBaseMs: 20,
  backoffMaxMs: 50,
};

/** Enqueues `inputs` as one sealed batch (lines from 2, as under a CSV header); resolves with the job ids. */
export async function enqueueInputs<O extends Operation>(
  target: Pick<QueueRuntime, 'queues' | 'batches' | 'jobState'>,
  operation: O,
  batchId: string,
  inputs: InputOf[O][],
): Promise<string[]> {
  await enqueueBatch(
    target,
    { batchId, operation },
    inputs.map((input, i) => ({ line: i + 2, ok: true as const, input })),
  );
  return target.batches.jobIdsOf(
    batchId,
    inputs.map((_, i) => i + 2),
  );
}

export interface Fleet {
  prefix: string;
  runtime: HireRuntime;
  queues: HireQueues;
  batches: BatchStore;
  workers: RunningWorkers;
  enqueue<O extends Operation>(operation: O, batchId: string, inputs: InputOf[O][]): Promise<string[]>;
  /** Resolves once the batch is finished (checked on each completed job). */
  waitForBatch(batchId: string): Promise<void>;
  close(): Promise<void>;
}

/** Workers against `sandbox` in this process, under a key prefix of the test's own. */
export async function openFleet(
  sandbox: Sandbox,
  env: ConfigSource = {},
  options: Partial<StartWorkersOptions> = {},
  prefix = testPrefix(),
): Promise<Fleet> {
  const runtime = openRuntime(sandbox, prefix, env);
  const workers = await startWorkers({ runtime, policy: quickPolicy, ...options }).catch(
    async (error: unknown) => {
      // Closed first: BullMQ's queues may still write their meta while they start.
      await runtime.close();
      await openRedis(prefix).closeAndClean();
      throw error;
    },
  );
  const closeAll = track(`fleet ${prefix}`, async () => {
    await workers.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
  });
  const waitForBatch = (batchId: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () =>
        runtime.batches
          .progress(batchId)
          .then((p) => {
            if (p.jobs > 0 && p.finished) {
              for (const w of workers.workers) w.off('completed', check);
              resolve();
            }
          })
          .catch(reject);
      for (const w of workers.workers as Worker<unknown, JobOutcome>[]) w.on('completed', check);
      void check();
    });
  return {
    prefix,
    runtime,
    queues: runtime.queues,
    batches: runtime.batches,
    workers,
    enqueue: (operation, batchId, inputs) => enqueueInputs(runtime, operation, batchId, inputs),
    waitForBatch,
    close: closeAll,
  };
}
