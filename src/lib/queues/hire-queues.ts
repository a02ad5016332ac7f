import { BATCH_RETENTION_S } from '../retention';
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../redis/redis-connection';
import type { BatchPriority } from '../model/batch-state';
import type { DeadLetter } from '../model/dead-letter';
import type { HireJobData } from '../model/hire-job';
import type { Operation } from '../feishu/hire-schemas';
import type { JobOutcome } from '../model/job-outcome';
import { ATTEMPTS_CEILING, HIRE_BACKOFF } from './retry-policy';

export const DEAD_LETTER_QUEUE = 'dead-letter';

export type HireQueue = Queue<HireJobData, JobOutcome>;

/** One queue per operation and the dead-letter queue, under the configured prefix. */
export interface HireQueues {
  create: HireQueue;
  terminate: HireQueue;
  deadLetter: Queue<DeadLetter>;
  byOperation(operation: Operation): HireQueue;
  close(): Promise<void>;
}

/**
 * Where a batch's jobs go in their queue. A worker takes BullMQ's waiting list before its
 * prioritized set, so: `normal` rows join the waiting list (first in, first out, and the cheapest
 * to store: no sorted set), `high` rows go to its taking end (`lifo`; each chunk of them added in
 * reverse so that it runs in line order), and `low` rows wait in the prioritized set until the
 * list is empty.
 */
export function placementOf(priority: BatchPriority): Pick<JobsOptions, 'lifo' | 'priority'> {
  if (priority === 'high') return { lifo: true };
  if (priority === 'low') return { priority: 1 };
  return {};
}

/**
 * Options of every create and terminate job: stored with each job, so only what BullMQ must read
 * from the job itself. How many attempts it gets is the worker's policy; how long finished jobs
 * stay is the worker's too (`finishedJobRetention`).
 */
export function jobOptions(): JobsOptions {
  return { attempts: ATTEMPTS_CEILING, backoff: { type: HIRE_BACKOFF } };
}

/**
 * How many finished jobs a worker keeps. Of completed ones only the last thousand, for the
 * dashboard: the outcome is in the batch, and a row enqueued again is not doubled because its
 * outcome is found there first. Failed ones stay a while for inspection.
 */
export const finishedJobRetention = {
  removeOnComplete: { count: 1000 },
  removeOnFail: { age: BATCH_RETENTION_S },
} as const;

export function openQueues(connection: RedisClient, prefix: string): HireQueues {
  const options = { connection, prefix, defaultJobOptions: jobOptions() };
  const create = new Queue<HireJobData, JobOutcome>('create', options);
  const terminate = new Queue<HireJobData, JobOutcome>('terminate', options);
  const deadLetter = new Queue<DeadLetter>(DEAD_LETTER_QUEUE, { connection, prefix });
  // A queue's connection errors reach its callers; unlistened, they would only be printed.
  for (const queue of [create, terminate, deadLetter]) queue.on('error', () => undefined);
  return {
    create,
    terminate,
    deadLetter,
    byOperation: (operation) => ({ create, terminate })[operation],
    close: async () => {
      await Promise.all([create.close(), terminate.close(), deadLetter.close()]);
    },
  };
}
