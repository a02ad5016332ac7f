import { Redis } from 'ioredis';
import { RedisUnavailableError } from '../errors/redis-unavailable-error';

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`. */
  name: string;
  /**
   * null: a command waits through a reconnect instead of failing (what BullMQ workers need).
   * @default null
   */
  maxRetriesPerRequest?: number | null;
}

/** A connection that reconnects with a capped backoff (up to 2 s), so workers wait Redis out. */
export function createRedis(url: string, options: RedisConnectionOptions): Redis {
  const redis = new Redis(url, {
    connectionName: options.name,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: false,
  });
  // Outages surface through the commands that wait on them; the event itself needs no handling.
  redis.on('error', () => undefined);
  return redis;
}

/** Fails fast with a clear message when Redis does not answer at start. */
export async function assertRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new RedisUnavailableError(
      `Redis at ${redactUrl(url)} did not answer (${(error as Error).message}); start it or set REDIS_URL`,
    );
  } finally {
    probe.disconnect();
  }
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
