import type { Redis } from 'ioredis';
import { requireCredentials, type HireQueueConfig } from './config';
import { FeishuClient } from './feishu/feishu-client';
import { FleetRateLimiter } from './limiter/fleet-rate-limiter';
import { createRedis } from './redis/redis-connection';
import { redisKeys, type RedisKeys } from './redis/redis-keys';

/** The parts every command and worker shares, built once from the config. */
export interface HireRuntime {
  config: HireQueueConfig;
  redis: Redis;
  keys: RedisKeys;
  limiter: FleetRateLimiter;
  client: FeishuClient;
  close(): Promise<void>;
}

export function createRuntime(config: HireQueueConfig, name = 'hire-queue'): HireRuntime {
  const { appId, appSecret } = requireCredentials(config);
  const redis = createRedis(config.redisUrl, { name });
  const keys = redisKeys(config.queuePrefix);
  const limiter = new FleetRateLimiter({
    redis,
    keys,
    appId,
    limits: { create: config.createLimits, terminate: config.terminateLimits, read: config.readLimits },
    marginMs: config.limiterMarginMs,
  });
  const client = new FeishuClient({
    baseUrl: config.baseUrl,
    appId,
    appSecret,
    redis,
    keys,
    limiter,
    timeoutMs: config.requestTimeoutMs,
  });
  return {
    config,
    redis,
    keys,
    limiter,
    client,
    close: async () => {
      client.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
