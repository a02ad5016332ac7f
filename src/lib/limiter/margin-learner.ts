import { randomBytes } from 'node:crypto';
import { defineScript } from '../redis/lua-script';
import { hostname } from 'node:os';
import type { RedisClient } from '../redis/redis-connection';
import { DelaySamples, RecentMaximum } from './delay-samples';
import type { LimitedEndpoint } from './rate-limit-spec';
import type { RedisKeys } from '../redis/redis-keys';

/** How the margin added to every window is chosen. */
export interface MarginOptions {
  /**
   * `learned`: measured by every process and shared by the fleet, never below `floorMs`;
   * `fixed`: always `floorMs`. @default 'learned'
   */
  mode: 'learned' | 'fixed';
  /** `HIRE_LIMIT_MARGIN_MS`: the smallest margin, in ms (the whole margin when fixed). @default 10 */
  floorMs: number;
  /** `HIRE_LIMIT_MARGIN_MAX_MS`: the largest learned margin, in ms. @default 1000 */
  ceilingMs: number;
}

/** How the measurements become a margin; fixed, so that the README can explain them. */
export const marginLearning = {
  /**
   * Each process reports the largest delay of its calls in this recent past, tail included: a
   * window goes over its cap when its first call is delayed more than the call `limit` places
   * later by more than the margin, so the margin must cover the spread of delays, not a
   * percentile of them (about 1% of a run's calls exceed a p99 margin, and any one of them can
   * open such a window). The largest fades out of the figure after this long; the fleet's margin
   * then decays (`decayHalfLifeMs`).
   */
  tailWindowMs: 60_000,
  /** How many recent calls each process remembers per endpoint, for the fastest round trip. */
  samples: 256,
  /** Every reported figure is padded: times this, plus `padMs`. */
  padFactor: 1.05,
  padMs: 1,
  /** A process reports at most this often, unless its figure exceeds the fleet's margin. */
  reportEveryMs: 1_000,
  /** A report counts this long; a stopped process drops out of the fleet's figure after it. */
  reportTtlMs: 20_000,
  /** A margin above what the reports ask for halves towards it in this time. */
  decayHalfLifeMs: 30_000,
  /** After a 429 the margin grows at once by at least this factor. */
  widenFactor: 1.5,
  /**
   * Until the fleet has reported this many calls, the margin is `coldStartMs` (within the floor
   * and ceiling): what a few calls say of the spread is not enough to bet a 429 on.
   */
  minFleetSamples: 20,
  coldStartMs: 100,
  /** The learned margin is forgotten after this long without a call: the network may have changed. */
  forgetAfterMs: 3_600_000,
} as const;

/** The fleet's margin for one endpoint, and what it is made of, in ms. */
export interface FleetMargin {
  marginMs: number;
  /** False while the fleet has reported too few calls: the margin is the cold-start one. */
  learned: boolean;
  /** The largest need reported: a high percentile of calls' delays from slot to arrival. */
  needMs: number;
  /** The largest round-trip spread reported: a bound on how much the calls' one-way delays vary. */
  spreadMs: number;
}

/** See `lua/learn-margin.lua`: the fleet's margin, its reports, rise, decay and widening. */
export const learnMarginScript = defineScript({
  name: 'learn-margin',
  keys: ['margin'],
  args: [
    'op',
    'process',
    'needMs',
    'spreadMs',
    'floorMs',
    'ceilingMs',
    'reportTtlMs',
    'decayHalfLifeMs',
    'widenFactor',
    'evidenceMs',
    'samples',
    'minFleetSamples',
    'coldStartMs',
    'forgetAfterMs',
  ],
  read: (reply) => reply as [string, string, string, string],
});

interface EndpointSamples {
  /** Of every call answered, pushed together: how late it was sent, and its round trip. */
  sentLateness: DelaySamples;
  roundTrip: DelaySamples;
  /** The largest lateness plus round trip of the recent past, and the largest round trip. */
  recentDelay: RecentMaximum;
  recentRoundTrip: RecentMaximum;
  reportedAtMs: number;
}

/**
 * This process's measurements of what eats the margin, and the fleet's margin they make.
 * Per endpoint it keeps how late each call was written after its slot (timers, event loop, GC,
 * the batch check) and each call's round trip; the round trips' spread above the fastest bounds
 * how much the one-way delays to Feishu vary. The fleet's margin must cover both.
 */
export class MarginLearner {
  private readonly samples = new Map<LimitedEndpoint, EndpointSamples>();
  private readonly known = new Map<LimitedEndpoint, FleetMargin>();
  private readonly processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly appId: string,
    readonly options: MarginOptions,
  ) {}

  /** A call sent `latenessMs` after its slot and answered `roundTripMs` after it was written. */
  async record(endpoint: LimitedEndpoint, latenessMs: number, roundTripMs: number): Promise<void> {
    const samples = this.samplesOf(endpoint);
    const nowMs = performance.now();
    samples.sentLateness.push(Math.max(0, latenessMs));
    samples.roundTrip.push(roundTripMs);
    samples.recentDelay.push(Math.max(0, latenessMs) + roundTripMs, nowMs);
    samples.recentRoundTrip.push(roundTripMs, nowMs);
    if (this.options.mode === 'fixed') return;
    const fleet = this.known.get(endpoint);
    // Until the fleet has learned, every call counts: the cold-start margin should end soon.
    const due =
      fleet?.learned !== true || performance.now() - samples.reportedAtMs >= marginLearning.reportEveryMs;
    // Rising at once: a call that took more than the fleet allows for is said at once. (Checked on
    // this call alone: the percentile sorts every sample, which is worth doing only to report.)
    const exceeds =
      fleet === undefined || latenessMs + roundTripMs - samples.roundTrip.min() > fleet.marginMs;
    if (!due && !exceeds) return;
    const estimate = this.estimate(samples);
    samples.reportedAtMs = performance.now();
    await this.run('report', endpoint, estimate.needMs, estimate.spreadMs, 0);
  }

  /** A 429: the margin was too small. Widens it fleet-wide at once. */
  async widen(endpoint: LimitedEndpoint): Promise<FleetMargin> {
    const samples = this.samplesOf(endpoint);
    // The evidence: the largest delay this process has seen, whatever the percentile said.
    const largest = Math.max(...this.delays(samples), 0) * marginLearning.padFactor + marginLearning.padMs;
    return this.run('widen', endpoint, 0, 0, largest);
  }

  /** The fleet's margin as last seen by this process; before any, the fixed or cold-start margin. */
  current(endpoint: LimitedEndpoint): FleetMargin {
    return (
      this.known.get(endpoint) ?? { marginMs: this.unlearnedMs(), needMs: 0, spreadMs: 0, learned: false }
    );
  }

  /** The margin while nothing is learned: the fixed one, or the cold-start one. */
  unlearnedMs(): number {
    const { mode, floorMs, ceilingMs } = this.options;
    return mode === 'fixed' ? floorMs : Math.min(ceilingMs, Math.max(floorMs, marginLearning.coldStartMs));
  }

  /** The fleet's margin from Redis. */
  async read(endpoint: LimitedEndpoint): Promise<FleetMargin> {
    if (this.options.mode === 'fixed') return this.current(endpoint);
    return this.run('read', endpoint, 0, 0, 0);
  }

  /**
   * Each call's delay from its slot to its arrival, above the fastest: its send lateness plus its
   * round trip's excess over the fastest round trip (which bounds its one-way delay's excess).
   */
  private delays(samples: EndpointSamples): number[] {
    const fastest = samples.roundTrip.min();
    const roundTrips = samples.roundTrip.all();
    return samples.sentLateness.all().map((lateness, i) => lateness + roundTrips[i]! - fastest);
  }

  /**
   * What this process asks of the margin (`needMs`): the largest delay of the recent past above the
   * fastest round trip (which bounds the spread of the calls' delays, tail included); and how much
   * of it the network's spread takes.
   */
  private estimate(samples: EndpointSamples): { needMs: number; spreadMs: number } {
    const pad = (ms: number) => ms * marginLearning.padFactor + marginLearning.padMs;
    const nowMs = performance.now();
    const fastest = samples.roundTrip.min();
    const need = Math.max(0, (samples.recentDelay.max(nowMs) ?? fastest) - fastest);
    const spread = Math.max(0, (samples.recentRoundTrip.max(nowMs) ?? fastest) - fastest);
    return { needMs: pad(need), spreadMs: pad(spread) };
  }

  private samplesOf(endpoint: LimitedEndpoint): EndpointSamples {
    let samples = this.samples.get(endpoint);
    if (!samples) {
      samples = {
        sentLateness: new DelaySamples(marginLearning.samples),
        roundTrip: new DelaySamples(marginLearning.samples),
        recentDelay: new RecentMaximum(marginLearning.tailWindowMs),
        recentRoundTrip: new RecentMaximum(marginLearning.tailWindowMs),
        reportedAtMs: -Infinity,
      };
      this.samples.set(endpoint, samples);
    }
    return samples;
  }

  private async run(
    op: 'report' | 'widen' | 'read',
    endpoint: LimitedEndpoint,
    needMs: number,
    spreadMs: number,
    evidenceMs: number,
  ): Promise<FleetMargin> {
    const [margin, need, spread, learned] = await learnMarginScript.run(
      this.redis,
      { margin: this.keys.limiter(this.appId, endpoint).margin },
      {
        op,
        process: this.processId,
        needMs: needMs.toFixed(3),
        spreadMs: spreadMs.toFixed(3),
        floorMs: this.options.floorMs,
        ceilingMs: this.options.ceilingMs,
        reportTtlMs: marginLearning.reportTtlMs,
        decayHalfLifeMs: marginLearning.decayHalfLifeMs,
        widenFactor: marginLearning.widenFactor,
        evidenceMs: evidenceMs.toFixed(3),
        samples: this.samplesOf(endpoint).roundTrip.count,
        minFleetSamples: marginLearning.minFleetSamples,
        coldStartMs: marginLearning.coldStartMs,
        forgetAfterMs: marginLearning.forgetAfterMs,
      },
    );
    const fleet = {
      marginMs: Number(margin),
      needMs: Number(need),
      spreadMs: Number(spread),
      learned: learned === '1',
    };
    this.known.set(endpoint, fleet);
    return fleet;
  }
}
