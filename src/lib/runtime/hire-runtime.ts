import type { RedisClient } from '../redis/redis-connection';
import { BatchStore } from '../batches/batch-store';
import { ApplicationLedger } from '../ledger/application-ledger';
import { JobState } from '../job-state/job-state';
import { HireMetrics } from '../metrics/hire-metrics';
import { requireCredentials, type HireQueueConfig } from '../config';
import { FeishuClient } from '../feishu/feishu-client';
import { UpdatedSinceListing } from '../operations/updated-since-listing';
import { openQueues, type HireQueues } from '../queues/hire-queues';
import { FleetRateLimiter } from '../limiter/fleet-rate-limiter';
import { assertRedisReachable, createRedis } from '../redis/redis-connection';
import { redisKeys, type RedisKeys } from '../redis/redis-keys';

/** What producers, reports and dead-letter tools share: RedisClient, the queues and the batches. */
export interface QueueRuntime {
  config: HireQueueConfig;
  redis: RedisClient;
  keys: RedisKeys;
  queues: HireQueues;
  batches: BatchStore;
  /** Every write a job's life makes, and the events of outcomes recorded. */
  jobState: JobState;
  ledger: ApplicationLedger;
  /** This process's Prometheus metrics (served by `startMetricsServer`). */
  metrics: HireMetrics;
  /** Closes the queues, then the connection. */
  close(): Promise<void>;
}

/** Everything a worker (or a producer that reads Feishu) needs: the queue runtime plus the client. */
export interface HireRuntime extends QueueRuntime {
  limiter: FleetRateLimiter;
  client: FeishuClient;
  /** The close-out guard by job: one listing of a job's moved applications for the fleet. */
  updatedSince: UpdatedSinceListing;
}

/** The queue runtime, built once from the config; needs no credentials. `name` shows in `CLIENT LIST`. */
export function createQueueRuntime(config: HireQueueConfig, name = 'hire-queue'): QueueRuntime {
  // Not auto-pipelined: the per-job scripts batch themselves (`BatchedScript`), and ioredis's
  // pipeline per tick then only added work (about 3% of a worker's CPU with the limits lifted).
  const redis = createRedis(config, { name });
  // BullMQ's queues get a connection of their own: BullMQ defines some sixty scripts on its
  // connection, and ioredis copies every one into each pipeline it makes.
  const queueConnection = createRedis(config, { name: `${name}-queues` });
  const keys = redisKeys(config.queuePrefix);
  const queues = openQueues(queueConnection, config.queuePrefix);
  const metrics = new HireMetrics();
  const ledger = new ApplicationLedger(redis, keys, config.ledgerDays);
  metrics.watchQueues(queues);
  return {
    config,
    redis,
    keys,
    queues,
    batches: new BatchStore(redis, keys),
    jobState: new JobState(redis, keys, queues.deadLetter, ledger),
    ledger,
    metrics,
    close: async () => {
      await queues.close();
      await Promise.all(
        [redis, queueConnection].map((connection) => connection.quit().catch(() => connection.disconnect())),
      );
    },
  };
}

/** The whole runtime; the credentials are checked first, before anything connects. */
export function createRuntime(config: HireQueueConfig, name = 'hire-queue'): HireRuntime {
  const { appId, appSecret } = requireCredentials(config);
  const base = createQueueRuntime(config, name);
  const { redis, keys, metrics } = base;
  const limiter = new FleetRateLimiter({
    redis,
    keys,
    appId,
    limits: { create: config.createLimits, terminate: config.terminateLimits, read: config.readLimits },
    margin: config.limiterMargin,
    onMargin: (endpoint, marginMs) => metrics.limiterMargin.set({ endpoint }, marginMs / 1000),
  });
  const client = new FeishuClient({
    baseUrl: config.baseUrl,
    appId,
    appSecret,
    redis,
    keys,
    limiter,
    metrics,
    timeoutMs: config.requestTimeoutMs,
  });
  return {
    ...base,
    limiter,
    client,
    updatedSince: new UpdatedSinceListing(base.redis, base.keys, client),
    close: async () => {
      client.close();
      await base.close();
    },
  };
}

/** `createQueueRuntime`, after making sure Redis answers (a clear error at once, not a hang). */
export async function connectQueueRuntime(config: HireQueueConfig, name?: string): Promise<QueueRuntime> {
  await assertRedisReachable(config);
  return createQueueRuntime(config, name);
}

/** `createRuntime`, after checking the credentials are set and Redis answers. */
export async function connectRuntime(config: HireQueueConfig, name?: string): Promise<HireRuntime> {
  requireCredentials(config);
  await assertRedisReachable(config);
  return createRuntime(config, name);
}
