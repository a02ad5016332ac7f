import { randomBytes } from 'node:crypto';
import { defineScript } from '../redis/lua-script';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/redis-connection';
import { localNowMs, RedisClock } from './redis-clock';
import { MarginLearner, type MarginOptions } from './margin-learner';
import type { LimitedEndpoint, RateLimit } from './rate-limit-spec';
import type { RedisKeys } from '../redis/redis-keys';

export type { LimitedEndpoint } from './rate-limit-spec';

/**
 * Hands out the next free send time for an endpoint, on Redis server time, for the whole fleet.
 * Each cap keeps the send times of its last `limit` calls in a sorted set (a time may move later,
 * see `lua/move-slot.lua`); the next time is the latest of: now; the end of a 429 block; the latest
 * send time plus an even spacing of (window + margin) / limit of the shortest cap, so calls go
 * out one by one rather than in bursts whose own spread would eat the margin; and, for every cap,
 * the limit-th latest send time plus the window plus the margin. That last rule alone guarantees
 * that no window of any cap's length ever holds more than `limit` arrivals, as long as the
 * arrivals' delays after their recorded send times vary by less than the margin.
 *
 * A time further ahead than the horizon is not reserved: the caller comes back later, so that
 * a margin that grew in the meantime applies to its call, and so that no call `limit` places
 * later is ever reserved before a call is sent (the horizon is shorter than the windows).

 */
export const reserveSlotScript = defineScript({
  name: 'reserve-slot',
  keys: ['caps', 'blockedUntil', 'margin', 'foreground'],
  args: ['fixedMarginMs', 'unlearnedMarginMs', 'horizonMs', 'reservationId', 'lane', 'caps'],
  read: (reply) => (reply as string[]).map(Number) as [number, number, number, number, number, number],
});

export const moveSlotScript = defineScript({
  name: 'move-slot',
  keys: ['caps'],
  args: ['reservationId'],
  read: Number,
});

export const blockEndpointScript = defineScript({
  name: 'block-endpoint',
  keys: ['blockedUntil'],
  args: ['blockMs'],
});

export interface FleetRateLimiterOptions {
  redis: RedisClient;
  keys: RedisKeys;
  appId: string;
  limits: Record<LimitedEndpoint, RateLimit[]>;
  /**
   * The margin added to every window: it covers the spread of delays between a slot and the
   * call's arrival at Feishu. @default { mode: 'learned', floorMs: 10, ceilingMs: 1000 }
   */
  margin?: Partial<MarginOptions>;
  /** Slots further ahead than this are not reserved yet. @default 500 */
  horizonMs?: number;
  /** Told the margin each reservation used (the metrics gauge). */
  onMargin?: (endpoint: LimitedEndpoint, marginMs: number) => void;
  /** Redis's clock as this process sees it, learned from reservations. @default a clock of its own */
  clock?: RedisClock;
}

/** A reserved send time: wait `waitMs`, then send. `atMs` is the slot, `redisNowMs` the reservation, on Redis's clock. */
export interface Reservation {
  /** Names the reservation in the caps' records, to move it when the call leaves late. */
  id: string;
  /** False when the slot lay beyond the horizon: nothing is held; ask again after `waitMs`. */
  reserved: boolean;
  waitMs: number;
  atMs: number;
  redisNowMs: number;
  marginMs: number;
  /** The fleet's round-trip spread: the part of the margin the network takes. */
  spreadMs: number;
}

/** The slot a call was given, on this process's clock; handed back with what happened to the call. */
export interface Slot {
  endpoint: LimitedEndpoint;
  atMs: number;
  marginMs: number;
}

/**
 * Who waits for a slot: `normal` callers, or `background` ones (a check before anything is
 * written) that take only the room normal callers leave: what they used in the last window, plus
 * a tenth of the cap, stays theirs.
 */
export type SlotPriority = 'normal' | 'background';

/** Endpoints some callers use in the background: their normal calls are recorded for that lane. */
const SHARED_WITH_BACKGROUND: readonly LimitedEndpoint[] = ['read'];

/** What may hold a call back at its slot. */
export interface AcquireControl {
  /** @default 'normal' */
  priority?: SlotPriority | undefined;
  /** Ends the wait for the slot; the call is not sent. */
  signal?: AbortSignal | undefined;
  /** Runs when the slot comes, before the lateness check; throwing stops the call unsent. */
  beforeSend?: (() => Promise<void>) | undefined;
}

/** What became of a call sent at its slot. */
export interface SendTiming {
  /** Local time the request was handed to the socket. */
  sentAtMs: number;
  /** Local time the answer's headers arrived; undefined when none did. */
  answeredAtMs?: number | undefined;
}

/** A caller late this many times in a row sends anyway (a 429 then is resent). */
const MAX_RESERVATIONS = 5;

export const limiterDefaults = {
  horizonMs: 500,
  margin: { mode: 'learned', floorMs: 10, ceilingMs: 1000 },
} as const;

export class FleetRateLimiter {
  private readonly clock: RedisClock;
  readonly margin: MarginLearner;
  private readonly horizonMs: number;
  private readonly id = randomBytes(4).toString('hex');
  private reservations = 0;

  constructor(private readonly options: FleetRateLimiterOptions) {
    this.clock = options.clock ?? new RedisClock();
    this.margin = new MarginLearner(options.redis, options.keys, options.appId, {
      ...limiterDefaults.margin,
      ...options.margin,
    });
    this.horizonMs = options.horizonMs ?? limiterDefaults.horizonMs;
  }

  private readonly sortedCaps = new Map<LimitedEndpoint, RateLimit[]>();

  /** The endpoint's caps, shortest window first. */
  private capsOf(endpoint: LimitedEndpoint): RateLimit[] {
    let caps = this.sortedCaps.get(endpoint);
    if (!caps) {
      caps = [...this.options.limits[endpoint]].sort((a, b) => a.windowMs - b.windowMs);
      this.sortedCaps.set(endpoint, caps);
    }
    return caps;
  }

  /** Whether calls of `endpoint` can wait for a slot at all: not when its limits are lifted. */
  capped(endpoint: LimitedEndpoint): boolean {
    return this.capsOf(endpoint).length > 0;
  }

  /** Reserves the next slot of `endpoint` within the horizon and says how many ms to wait before sending. */
  async reserve(endpoint: LimitedEndpoint, priority: SlotPriority = 'normal'): Promise<Reservation> {
    const caps = this.capsOf(endpoint);
    const { mode, floorMs } = this.margin.options;
    if (caps.length === 0) {
      const now = localNowMs();
      return { id: '', reserved: true, waitMs: 0, atMs: now, redisNowMs: now, marginMs: 0, spreadMs: 0 };
    }
    const keys = this.options.keys.limiter(this.options.appId, endpoint);
    const id = `${this.id}:${++this.reservations}`;
    const capArgs: number[] = [];
    for (const cap of caps) capArgs.push(cap.limit, cap.windowMs);
    const [reserved, waitMs, atMs, redisNowMs, marginMs, spreadMs] = await reserveSlotScript.run(
      this.options.redis,
      {
        caps: caps.map((cap) => keys.cap(cap.windowMs)),
        blockedUntil: keys.blockedUntil,
        margin: keys.margin,
        foreground: keys.foreground,
      },
      {
        fixedMarginMs: mode === 'fixed' ? floorMs : 'learned',
        unlearnedMarginMs: this.margin.unlearnedMs(),
        horizonMs: this.horizonMs,
        reservationId: id,
        lane:
          priority === 'background'
            ? 'background'
            : SHARED_WITH_BACKGROUND.includes(endpoint)
              ? 'foreground'
              : 'solo',
        caps: capArgs,
      },
    );
    this.options.onMargin?.(endpoint, marginMs);
    return {
      id,
      reserved: reserved === 1,
      waitMs: waitMs,
      atMs: atMs,
      redisNowMs: redisNowMs,
      marginMs: marginMs,
      spreadMs: spreadMs,
    };
  }

  /**
   * Reserves a slot and resolves when it comes; the caller sends at once and then reports the
   * timing with `sent`. A caller that wakes later than its lateness allowance (timers, a busy
   * event loop, GC, the batch check) still sends, after recording its real send time in place of
   * the slot: sent late against the record, its call could land inside the window of the call
   * `limit` places after it, which is spaced from the record. Only a caller later than the
   * horizon leaves before a window ends (when that call could already hold its slot) gives the
   * slot up and reserves again; the abandoned slot stays counted, which errs on the safe side.
   */
  async acquire(endpoint: LimitedEndpoint, control: AcquireControl = {}): Promise<Slot> {
    const { signal, beforeSend, priority } = control;
    if (!this.capped(endpoint)) {
      // No cap (limits lifted): nothing to reserve, no slot to be late for, and no Redis time to
      // learn from (a reply made up here once taught the shared clock an offset of zero).
      signal?.throwIfAborted();
      await beforeSend?.();
      return { endpoint, atMs: localNowMs(), marginMs: 0 };
    }
    for (let attempt = 1; ;) {
      signal?.throwIfAborted();
      const askedAt = localNowMs();
      const reservation = await this.reserve(endpoint, priority);
      this.clock.observe(askedAt, localNowMs(), reservation.redisNowMs);
      // Anchored to the slot itself, not to when the reply arrived: a reply that sat in a busy
      // event loop shortens the wait instead of delaying the send.
      const slotAt = this.clock.toLocal(reservation.atMs);
      // Beyond the horizon: come back shortly before it, spread out so that callers do not return together.
      const waitMs = reservation.reserved
        ? slotAt - localNowMs()
        : reservation.waitMs * (1 + Math.random() * 0.2);
      // Aborted, the wait ends with the signal's own reason (a stopping worker's error).
      if (waitMs > 0) await delay(waitMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
      if (!reservation.reserved) continue;
      // Inside the slot's lateness check: a check that waited (Redis restarting) must not send
      // late, in a burst with every other caller that waited on it.
      await beforeSend?.();
      const slot = { endpoint, atMs: slotAt, marginMs: reservation.marginMs };
      const latenessMs = localNowMs() - slotAt;
      if (latenessMs <= this.latenessAllowedMs(reservation) || attempt >= MAX_RESERVATIONS) return slot;
      if (latenessMs < this.movableLatenessMs(endpoint)) {
        const keys = this.options.keys.limiter(this.options.appId, endpoint);
        const caps = this.capsOf(endpoint).map((cap) => keys.cap(cap.windowMs));
        const movedTo = Number(
          await moveSlotScript.run(this.options.redis, { caps }, { reservationId: reservation.id }),
        );
        this.movedSlots++;
        return { ...slot, atMs: this.clock.toLocal(movedTo) };
      }
      this.lateSlots++;
      attempt++;
    }
  }

  /**
   * The call given `slot` was sent: its lateness and round trip feed the learned margin. Never
   * throws: a margin that could not be shared stays as it was.
   */
  async sent(slot: Slot, timing: SendTiming): Promise<void> {
    // Nothing to learn for an endpoint without caps (limits lifted).
    if (timing.answeredAtMs === undefined || !this.capped(slot.endpoint)) return;
    await this.margin
      .record(slot.endpoint, timing.sentAtMs - slot.atMs, timing.answeredAtMs - timing.sentAtMs)
      .catch(() => undefined);
  }

  /** The endpoint now: blocked by a 429 until when (ms, Redis clock), and the margin in use. */
  async state(
    endpoint: LimitedEndpoint,
  ): Promise<{ blockedUntilMs: number; marginMs: number; allowance: number }> {
    const keys = this.options.keys.limiter(this.options.appId, endpoint);
    const [blocked, margin] = await Promise.all([
      this.options.redis.get(keys.blockedUntil),
      this.margin.read(endpoint),
    ]);
    const shortest = this.capsOf(endpoint)[0];
    return {
      blockedUntilMs: Number(blocked ?? 0),
      marginMs: margin.marginMs,
      // The share of the documented rate the margin leaves.
      allowance: shortest ? shortest.windowMs / (shortest.windowMs + margin.marginMs) : 1,
    };
  }

  /** Slots given up because the caller woke too late; benchmarks report it. */
  lateSlots = 0;

  /** Slots whose record moved to a late caller's real send time; benchmarks report it. */
  movedSlots = 0;

  /**
   * How late after its slot a call may leave without moving its record: what the margin holds
   * beyond the network's spread, at most half the floor (so lateness is recorded, not absorbed
   * into a wider margin); a third of a fixed margin.
   */
  private latenessAllowedMs(reservation: Reservation): number {
    const { mode, floorMs } = this.margin.options;
    if (mode === 'fixed') return reservation.marginMs / 3;
    return Math.max(1, Math.min(reservation.marginMs - reservation.spreadMs, floorMs / 2));
  }

  /** Lateness up to which a record can still move: no call `limit` places later holds a slot yet. */
  private movableLatenessMs(endpoint: LimitedEndpoint): number {
    return (this.capsOf(endpoint)[0]?.windowMs ?? 0) - this.horizonMs;
  }

  /**
   * Feishu answered 429 to the call sent at `slot`, whatever we believed: the margin was too
   * small, so it widens at once. The header counts whole seconds: a reset no longer than the
   * shortest window says only "this window", which the call's next slot already waits out; a
   * longer one (the minute cap full, a limit stricter than configured), or a second 429 in a row
   * for the same call, blocks the endpoint fleet-wide until then. Resolves with whether the call
   * may be sent again at its next slot.
   */
  async rateLimited(slot: Slot, resetSeconds: number | undefined, resends: number): Promise<boolean> {
    const keys = this.options.keys.limiter(this.options.appId, slot.endpoint);
    if (this.margin.options.mode === 'learned') await this.margin.widen(slot.endpoint);
    const resetMs = Math.max(1, resetSeconds ?? 1) * 1000;
    const shortestWindowMs = this.capsOf(slot.endpoint)[0]?.windowMs ?? 0;
    if (resetMs > shortestWindowMs || resends > 0)
      await blockEndpointScript.run(
        this.options.redis,
        { blockedUntil: keys.blockedUntil },
        { blockMs: resetMs },
      );
    return resends < MAX_RESENDS;
  }
}

/** A call answered 429 is sent again at its next slot this many times before the job waits instead. */
const MAX_RESENDS = 2;
