import { ConfigError } from '../errors/config-error';

/** One cap of an endpoint: at most `limit` calls in any window of `windowMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * Parses `"50/s,1000/min"` (also `"20/2s"`, `"100/500ms"`) into caps, all of which must hold at once;
 * `"none"` is no cap at all (a sandbox with its limits lifted). `source` names the setting in the
 * error, e.g. `HIRE_LIMIT_CREATE`.
 */
export function parseRateLimits(spec: string, source: string): RateLimit[] {
  if (spec.trim() === 'none') return [];
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) {
    throw new ConfigError(`${source} is empty; expected caps like "50/s,1000/min", or none`);
  }
  return parts.map((part) => {
    const match = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|sec|m|min|h)$/.exec(part);
    const unit = match?.[3];
    const unitMs = unit === undefined ? undefined : UNIT_MS[unit];
    if (!match || unitMs === undefined) {
      throw new ConfigError(
        `${source}: "${part}" is not a cap; expected COUNT/UNIT like "50/s" or "1000/min"`,
      );
    }
    const limit = Number(match[1]);
    const windowMs = (match[2] ? Number(match[2]) : 1) * unitMs;
    if (limit < 1 || windowMs < 1) {
      throw new ConfigError(`${source}: "${part}" must allow at least one call in a window longer than 0`);
    }
    return { limit, windowMs };
  });
}

export function formatRateLimits(limits: readonly RateLimit[]): string {
  return limits
    .map(({ limit, windowMs }) => {
      if (windowMs % 60_000 === 0) return `${limit}/${windowMs === 60_000 ? '' : windowMs / 60_000}min`;
      if (windowMs % 1000 === 0) return `${limit}/${windowMs === 1000 ? '' : windowMs / 1000}s`;
      return `${limit}/${windowMs}ms`;
    })
    .join(',');
}

/** Endpoint families with their own caps on the platform. */
export type LimitedEndpoint = 'create' | 'terminate' | 'read';

/** Calls per second the caps allow over a long run (the strictest cap's pace); Infinity without caps. */
export function sustainedPerSecond(limits: readonly RateLimit[]): number {
  return Math.min(...limits.map(({ limit, windowMs }) => (limit * 1000) / windowMs));
}
