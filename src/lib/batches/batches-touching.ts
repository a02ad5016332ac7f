import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** A candidate named by one of its ids: which batches touched them? */
export type TouchedBy = { applicationId: string } | { talentId: string };

/** Entries read per round trip while scanning a batch's rows. */
const SCAN_COUNT = 2000;

/**
 * Of `batchIds`, those with a row naming the candidate: a row's input (`application_id`,
 * `talent_id`), or for an application id also an outcome (the application a create made or
 * adopted). Scans the rows a chunk at a time; stops at a batch's first match.
 */
export async function batchesTouching(
  redis: RedisClient,
  keys: RedisKeys,
  batchIds: readonly string[],
  who: TouchedBy,
): Promise<Set<string>> {
  const needles =
    'applicationId' in who
      ? [
          `"application_id":${JSON.stringify(who.applicationId)}`,
          `"applicationId":${JSON.stringify(who.applicationId)}`,
        ]
      : [`"talent_id":${JSON.stringify(who.talentId)}`];
  const found = new Set<string>();
  for (const batchId of batchIds) {
    const k = keys.batch(batchId);
    const hashes = 'applicationId' in who ? [k.rows, k.outcomes] : [k.rows];
    if (await anyValueHas(redis, hashes, needles)) found.add(batchId);
  }
  return found;
}

async function anyValueHas(redis: RedisClient, hashes: string[], needles: string[]): Promise<boolean> {
  for (const hash of hashes) {
    let cursor = '0';
    do {
      const [next, entries] = await redis.hscan(hash, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (let i = 1; i < entries.length; i += 2)
        if (needles.some((needle) => entries[i]!.includes(needle))) return true;
    } while (cursor !== '0');
  }
  return false;
}
