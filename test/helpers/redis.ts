import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../src/lib/redis/redis-connection';
import { track } from './resources';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of this test's own, derived from its name, with a hash tag like production's. */
export function testPrefix(): string {
  const name = expect.getState().currentTestName ?? 'suite';
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40);
  return `{hqtest-${slug}-${process.pid}-${Math.random().toString(36).slice(2, 8)}}`;
}

/** Deletes every key under `prefix` (and only those), on every master of a cluster. */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) await deleteNodeKeys(node, prefix);
}

async function deleteNodeKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[[\]*?]/g, '\\$&')}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A Redis connection watched by the resource guard; closing it deletes `cleanPrefix`'s keys first. */
export function openRedis(cleanPrefix?: string): Redis & { closeAndClean(): Promise<void> } {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const close = track('redis', async () => {
    if (cleanPrefix) await deleteKeys(redis, cleanPrefix);
    await redis.quit();
  });
  return Object.assign(redis, { closeAndClean: close });
}
