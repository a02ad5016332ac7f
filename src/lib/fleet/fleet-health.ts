import { readFleetHalt } from './fleet-halt';
import { setTimeout as delay } from 'node:timers/promises';
import type { QueueRuntime } from '../runtime/hire-runtime';
import type { Health } from './metrics-server';

/** How long Redis may take to answer a health check's PING. @default 1000 */
const PING_TIMEOUT_MS = 1000;

/**
 * Healthy while Redis answers and the fleet is not halted (and, for a process that can be stopped
 * on its own, while it is not). The reason names what to look at.
 */
export async function fleetHealth(
  runtime: QueueRuntime,
  stoppedBecause?: () => string | undefined,
): Promise<Health> {
  const answered = await Promise.race([
    runtime.redis.ping().then(
      () => true,
      () => false,
    ),
    delay(PING_TIMEOUT_MS).then(() => false),
  ]);
  if (!answered) return { ok: false, reason: `Redis does not answer within ${PING_TIMEOUT_MS} ms` };
  const halt = await readFleetHalt(runtime.redis, runtime.keys);
  if (halt !== null)
    return {
      ok: false,
      reason: `fleet halted by Feishu ${halt.code} (${halt.message}); to fix: ${halt.fix}`,
    };
  const stopped = stoppedBecause?.();
  if (stopped) return { ok: false, reason: stopped };
  return { ok: true };
}
