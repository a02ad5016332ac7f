import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { localNowMs, RedisClock } from './redis-clock';
import type { RateLimit } from './rate-limit-spec';
import type { RedisKeys } from '../redis/redis-keys';

/** Endpoint families with their own caps on the platform. */
export type LimitedEndpoint = 'create' | 'terminate' | 'read';

/**
 * Hands out the next free send time for an endpoint, on Redis server time, for the whole fleet.
 * Each cap keeps the send times of its last `limit` reservations (in order, since times only
 * grow); the next time is the latest of: now; the end of a 429 block; the last reservation plus
 * an even spacing of (window + margin) / limit of the shortest cap, so calls go out one by one
 * rather than in bursts whose own spread would eat the margin; and, for every cap, the
 * limit-th most recent reservation plus the window plus the margin. That last rule alone
 * guarantees that no window of any cap's length ever holds more than `limit` sends.
 *
 * KEYS: cap lists (shortest window first)..., blocked-until, slowdown.
 * ARGV: marginMs, then limit and windowMs per cap.
 * Returns the wait and the slot in ms as strings (Lua numbers would be truncated to integers).
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local caps = #KEYS - 2
local margin = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[caps + 1]) or '0'))
local factor = tonumber(redis.call('GET', KEYS[caps + 2]) or '1')
for i = 1, caps do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local allowed = math.max(1, math.floor(limit * factor))
  local len = redis.call('LLEN', KEYS[i])
  if len > 0 then
    local last = tonumber(redis.call('LINDEX', KEYS[i], -1))
    if i == 1 then last = last + (window + margin) / allowed end
    slot = math.max(slot, last)
  end
  if len >= allowed then
    slot = math.max(slot, tonumber(redis.call('LINDEX', KEYS[i], len - allowed)) + window + margin)
  end
end
local stamp = string.format('%.3f', slot)
for i = 1, caps do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('RPUSH', KEYS[i], stamp)
  redis.call('LTRIM', KEYS[i], -limit, -1)
  redis.call('PEXPIRE', KEYS[i], math.ceil(slot - now + window + margin + 1000))
end
return { string.format('%.3f', slot - now), string.format('%.3f', slot), string.format('%.3f', now) }
`;

/** KEYS: blocked-until, slowdown. ARGV: blockMs, factor step, factor floor, clean period ms. */
const RATE_LIMITED_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then
  redis.call('SET', KEYS[1], string.format('%.3f', untilMs), 'PX', math.ceil(tonumber(ARGV[1])) + 1000)
end
local factor = tonumber(redis.call('GET', KEYS[2]) or '1')
factor = math.max(tonumber(ARGV[3]), factor * tonumber(ARGV[2]))
redis.call('SET', KEYS[2], tostring(factor), 'PX', tonumber(ARGV[4]))
return tostring(factor)
`;

export interface FleetRateLimiterOptions {
  redis: Redis;
  keys: RedisKeys;
  appId: string;
  limits: Record<LimitedEndpoint, RateLimit[]>;
  /**
   * Added to every window, in ms: covers the spread of delays between a reserved time and the
   * call's arrival at Feishu (timers, network jitter). Measured in BENCHMARKS.md. @default 20
   */
  marginMs?: number;
  /** A caller waking later than this after its slot reserves again. @default marginMs / 3 */
  maxLatenessMs?: number;
  /** After a 429 the allowance is multiplied by this, again at each 429. @default 0.9 */
  slowdownFactor?: number;
  /** The allowance never drops below this share. @default 0.5 */
  slowdownFloor?: number;
  /** The full allowance returns after this long without a 429. @default 60_000 */
  slowdownCleanMs?: number;
}

/** A reserved send time: wait `waitMs`, then send. `atMs` is the slot, `redisNowMs` the reservation, on Redis's clock. */
export interface Reservation {
  waitMs: number;
  atMs: number;
  redisNowMs: number;
}

/** What may hold a call back at its slot. */
export interface AcquireControl {
  /** Ends the wait for the slot; the call is not sent. */
  signal?: AbortSignal | undefined;
  /** Runs when the slot comes, before the lateness check; throwing stops the call unsent. */
  beforeSend?: (() => Promise<void>) | undefined;
}

/** A caller late this many times in a row sends anyway (a 429 then is waited out). */
const MAX_RESERVATIONS = 5;

export class FleetRateLimiter {
  private readonly marginMs: number;

  private readonly maxLatenessMs: number;
  private readonly clock = new RedisClock();

  constructor(private readonly options: FleetRateLimiterOptions) {
    this.marginMs = options.marginMs ?? 20;
    this.maxLatenessMs = options.maxLatenessMs ?? this.marginMs / 3;
  }

  /** Reserves the next slot of `endpoint` and says how many ms to wait before sending. */
  async reserve(endpoint: LimitedEndpoint): Promise<Reservation> {
    const caps = [...this.options.limits[endpoint]].sort((a, b) => a.windowMs - b.windowMs);
    if (caps.length === 0) return { waitMs: 0, atMs: Date.now(), redisNowMs: Date.now() };
    const keys = this.options.keys.limiter(this.options.appId, endpoint);
    const args: (string | number)[] = [this.marginMs];
    for (const cap of caps) args.push(cap.limit, cap.windowMs);
    const [waitMs, atMs, redisNowMs] = (await this.options.redis.eval(
      RESERVE_SCRIPT,
      caps.length + 2,
      ...caps.map((cap) => keys.cap(cap.windowMs)),
      keys.blockedUntil,
      keys.slowdown,
      ...args,
    )) as [string, string, string];
    return { waitMs: Number(waitMs), atMs: Number(atMs), redisNowMs: Number(redisNowMs) };
  }

  /**
   * Reserves a slot and resolves when it comes; the caller sends at once. A caller that wakes too
   * long after its slot (a descheduled process, a GC pause) gives the slot up and reserves again:
   * sent late, its call could land inside the window of the call `limit` slots after it. The
   * abandoned slot stays counted, which only errs on the safe side.
   */
  async acquire(endpoint: LimitedEndpoint, control: AcquireControl = {}): Promise<void> {
    const { signal, beforeSend } = control;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const sentAt = localNowMs();
      const reservation = await this.reserve(endpoint);
      this.clock.observe(sentAt, localNowMs(), reservation.redisNowMs);
      // Anchored to the slot itself, not to when the reply arrived: a reply that sat in a busy
      // event loop shortens the wait instead of delaying the send.
      const slotAt = this.clock.toLocal(reservation.atMs);
      const waitMs = slotAt - localNowMs();
      // Aborted, the wait ends with the signal's own reason (a stopping worker's error).
      if (waitMs > 0) await delay(waitMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
      // Inside the slot's lateness check: a check that waited (Redis restarting) must not send
      // late, in a burst with every other caller that waited on it.
      await beforeSend?.();
      const latenessMs = localNowMs() - slotAt;
      if (latenessMs <= this.maxLatenessMs || attempt >= MAX_RESERVATIONS) return;
      this.lateSlots++;
    }
  }

  /** The endpoint now: blocked by a 429 until when (ms, Redis clock), and the share of its limit allowed. */
  async state(endpoint: LimitedEndpoint): Promise<{ blockedUntilMs: number; allowance: number }> {
    const keys = this.options.keys.limiter(this.options.appId, endpoint);
    const [blocked, slowdown] = await this.options.redis.mget(keys.blockedUntil, keys.slowdown);
    return { blockedUntilMs: Number(blocked ?? 0), allowance: Number(slowdown ?? 1) };
  }

  /** Slots given up because the caller woke too late; benchmarks report it. */
  lateSlots = 0;

  /**
   * Feishu answered 429 whatever we believed: block the endpoint fleet-wide for `resetSeconds`
   * and lower its allowance a little until it runs clean again.
   */
  async reportRateLimited(endpoint: LimitedEndpoint, resetSeconds: number | undefined): Promise<void> {
    const keys = this.options.keys.limiter(this.options.appId, endpoint);
    await this.options.redis.eval(
      RATE_LIMITED_SCRIPT,
      2,
      keys.blockedUntil,
      keys.slowdown,
      Math.max(1, resetSeconds ?? 1) * 1000,
      this.options.slowdownFactor ?? 0.9,
      this.options.slowdownFloor ?? 0.5,
      this.options.slowdownCleanMs ?? 60_000,
    );
  }
}
