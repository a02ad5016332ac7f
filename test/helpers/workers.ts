import type { Worker } from 'bullmq';
import { BatchStore } from '../../src/lib/batches/batch-store';
import type { ConfigSource } from '../../src/lib/config';
import { openQueues, type HireQueues } from '../../src/lib/jobs/hire-queues';
import type { HireRuntime } from '../../src/lib/hire-runtime';
import type { InputOf, Operation } from '../../src/lib/feishu/hire-schemas';
import type { JobOutcome } from '../../src/lib/jobs/job-outcome';
import { defaultRetryPolicy, type RetryPolicy } from '../../src/lib/jobs/retry-policy';
import { enqueueRows } from '../../src/lib/batches/enqueue-batch';
import type { Sandbox } from '../../src/sandbox/sandbox-server';
import { startWorkers, type RunningWorkers, type StartWorkersOptions } from '../../src/workers/hire-worker';
import { deleteKeys, testPrefix } from './redis';
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

export interface Fleet {
  prefix: string;
  runtime: HireRuntime;
  queues: HireQueues;
  batches: BatchStore;
  workers: RunningWorkers;
  enqueue<O extends Operation>(operation: O, batchId: string, inputs: InputOf[O][]): Promise<string[]>;
  /** Resolves once every job of the batch has an outcome (checked on each completed job). */
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
  const policy = options.policy ?? quickPolicy;
  const queues = openQueues(runtime.redis, prefix, policy);
  const batches = new BatchStore(runtime.redis, runtime.keys);
  const workers = await startWorkers({ runtime, policy, ...options });
  const closeAll = track(`fleet ${prefix}`, async () => {
    await workers.close();
    await queues.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
  });
  const waitForBatch = (batchId: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () =>
        batches
          .progress(batchId)
          .then((p) => {
            if (p.jobs > 0 && p.done >= p.jobs) {
              for (const w of workers.workers) w.off('completed', check);
              resolve();
            }
          })
          .catch(reject);
      for (const w of workers.workers as Worker<unknown, JobOutcome>[]) w.on('completed', check);
      check();
    });
  return {
    prefix,
    runtime,
    queues,
    batches,
    workers,
    enqueue: async (operation, batchId, inputs) => {
      await batches.create({ batchId, operation, createdAtMs: Date.now() });
      const ids = await enqueueRows(
        queues,
        batches,
        batchId,
        operation,
        inputs.map((input, i) => ({ line: i + 2, input })),
      );
      await batches.seal(batchId);
      return ids;
    },
    waitForBatch,
    close: closeAll,
  };
}
