import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** Why the fleet stopped: Feishu refused every call of the app. The one record of it, in Redis. */
export interface FleetHalt {
  code: string;
  message: string;
  fix: string;
  at: string;
}

/** Notes the halt for the fleet (`status`, `/healthz` and the next `work` read it). */
export async function recordFleetHalt(
  redis: RedisClient,
  keys: RedisKeys,
  halt: Omit<FleetHalt, 'at'>,
): Promise<void> {
  await redis.set(keys.fleetHalt, JSON.stringify({ ...halt, at: new Date().toISOString() }));
}

/** The halt in force, if any. */
export async function readFleetHalt(redis: RedisClient, keys: RedisKeys): Promise<FleetHalt | null> {
  const raw = await redis.get(keys.fleetHalt);
  return raw === null ? null : (JSON.parse(raw) as FleetHalt);
}

/** Ends the halt (workers started again after the fix). */
export async function clearFleetHalt(redis: RedisClient, keys: RedisKeys): Promise<void> {
  await redis.del(keys.fleetHalt);
}
