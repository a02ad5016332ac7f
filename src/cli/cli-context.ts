import type { Command } from 'commander';
import { BatchStore } from '../lib/batches/batch-store';
import { loadConfig, type ConfigSource, type HireQueueConfig } from '../lib/config';
import { openQueues, type HireQueues } from '../lib/jobs/hire-queues';
import { createRuntime, type HireRuntime } from '../lib/hire-runtime';
import { assertRedisReachable, createRedis } from '../lib/redis/redis-connection';
import { redisKeys, type RedisKeys } from '../lib/redis/redis-keys';
import { defaultRetryPolicy } from '../lib/jobs/retry-policy';
import type { Redis } from 'ioredis';

/** Flags that override the environment, on every command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--redis-url <url>', 'Redis to use (env REDIS_URL)')
    .option('--prefix <prefix>', 'key prefix of queues and state (env HIRE_QUEUE_PREFIX)')
    .option('--base-url <url>', 'Feishu base URL, e.g. a sandbox (env FEISHU_BASE_URL)')
    .option('--domain <domain>', 'feishu or lark (env FEISHU_DOMAIN)')
    .option(
      '--app-id <id>',
      'Feishu App ID (env FEISHU_APP_ID; the secret only comes from FEISHU_APP_SECRET)',
    );
}

export interface ConnectionFlags {
  redisUrl?: string;
  prefix?: string;
  baseUrl?: string;
  domain?: string;
  appId?: string;
}

/** The configuration: environment, with flags laid over it, validated once. */
export function configFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): HireQueueConfig {
  const source: ConfigSource = { ...env };
  if (flags.redisUrl) source.REDIS_URL = flags.redisUrl;
  if (flags.prefix) source.HIRE_QUEUE_PREFIX = flags.prefix;
  if (flags.baseUrl) source.FEISHU_BASE_URL = flags.baseUrl;
  if (flags.domain) source.FEISHU_DOMAIN = flags.domain;
  if (flags.appId) source.FEISHU_APP_ID = flags.appId;
  return loadConfig(source);
}

/** What commands that only read or write queues need (no Feishu credentials). */
export interface QueueContext {
  config: HireQueueConfig;
  redis: Redis;
  keys: RedisKeys;
  queues: HireQueues;
  batches: BatchStore;
  close(): Promise<void>;
}

export async function openQueueContext(config: HireQueueConfig): Promise<QueueContext> {
  await assertRedisReachable(config.redisUrl);
  const redis = createRedis(config.redisUrl, { name: 'hire-queue-cli' });
  const keys = redisKeys(config.queuePrefix);
  const queues = openQueues(redis, config.queuePrefix, defaultRetryPolicy);
  return {
    config,
    redis,
    keys,
    queues,
    batches: new BatchStore(redis, keys),
    close: async () => {
      await queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Queues plus the Feishu client: for commands that call Feishu. */
export interface FeishuContext extends QueueContext {
  runtime: HireRuntime;
}

export async function openFeishuContext(config: HireQueueConfig): Promise<FeishuContext> {
  await assertRedisReachable(config.redisUrl);
  const runtime = createRuntime(config, 'hire-queue-cli');
  const queues = openQueues(runtime.redis, config.queuePrefix, defaultRetryPolicy);
  return {
    config,
    redis: runtime.redis,
    keys: runtime.keys,
    queues,
    batches: new BatchStore(runtime.redis, runtime.keys),
    runtime,
    close: async () => {
      await queues.close();
      await runtime.close();
    },
  };
}
