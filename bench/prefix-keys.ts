import type { Redis } from 'ioredis';

/** Every key under `prefix`, each once: SCAN may return a key twice while a hash table grows. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  for await (const found of redis.scanStream({ match: `${prefix}*`, count: 1000 }))
    for (const key of found as string[]) keys.add(key);
  return [...keys];
}

/** Deletes a benchmark's keys, a thousand at a time. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
}
