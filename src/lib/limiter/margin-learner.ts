import { randomBytes } from 'node:crypto';
import { runScript } from '../redis/run-script';
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

/**
 * KEYS: the endpoint's margin hash. ARGV: op (report | widen | read), process, need, spread,
 * floor, ceiling, report ttl ms, decay half-life ms, widen factor, evidence ms, sample count,
 * fleet samples needed, cold-start ms, forget after ms.
 * The hash holds each process's last report (`p:<process>` = "need spread count at"), the
 * largest fresh `need` and `spread`, and once learned the margin in use (`ms`, `at`). The
 * margin rises at once to what the largest fresh report asks for and decays slowly towards it;
 * a 429 widens it. Until enough calls were reported it is the cold-start margin, not stored, so
 * that it does not decay slowly from there.
 */
const MARGIN_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local op = ARGV[1]
local floor, ceiling = tonumber(ARGV[5]), tonumber(ARGV[6])
local ttl, halfLife = tonumber(ARGV[7]), tonumber(ARGV[8])
if op == 'report' then
  redis.call('HSET', KEYS[1], 'p:' .. ARGV[2],
    ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[11] .. ' ' .. string.format('%.3f', now))
end
local fields = redis.call('HGETALL', KEYS[1])
local need, spread, samples, current, at = 0, 0, 0, nil, now
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  if string.sub(name, 1, 2) == 'p:' then
    local l, s, n, reported = string.match(value, '^(%S+) (%S+) (%S+) (%S+)$')
    if now - tonumber(reported) > ttl then
      redis.call('HDEL', KEYS[1], name)
    else
      need = math.max(need, tonumber(l))
      spread = math.max(spread, tonumber(s))
      samples = samples + tonumber(n)
    end
  elseif name == 'ms' then current = tonumber(value)
  elseif name == 'at' then at = tonumber(value)
  end
end
local function ms(x) return string.format('%.3f', x) end
local function within(x) return math.min(ceiling, math.max(floor, x)) end
local target = within(need)
local margin = target
if current == nil then
  if samples < tonumber(ARGV[12]) then margin = within(math.max(target, tonumber(ARGV[13]))) end
elseif current > target then
  margin = target + (current - target) * math.pow(0.5, (now - at) / halfLife)
end
local learned = current ~= nil or samples >= tonumber(ARGV[12])
if op == 'widen' then
  margin = math.min(ceiling, math.max(margin * tonumber(ARGV[9]), tonumber(ARGV[10])))
  learned = true
end
if op ~= 'read' then
  redis.call('HSET', KEYS[1], 'need', ms(need), 'spread', ms(spread))
  if learned then redis.call('HSET', KEYS[1], 'ms', ms(margin), 'at', ms(now)) end
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[14]))
end
return { ms(margin), ms(need), ms(spread), learned and '1' or '0' }
`;

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
    const [margin, need, spread, learned] = (await runScript(
      this.redis,
      MARGIN_SCRIPT,
      1,
      this.keys.limiter(this.appId, endpoint).margin,
      op,
      this.processId,
      needMs.toFixed(3),
      spreadMs.toFixed(3),
      this.options.floorMs,
      this.options.ceilingMs,
      marginLearning.reportTtlMs,
      marginLearning.decayHalfLifeMs,
      marginLearning.widenFactor,
      evidenceMs.toFixed(3),
      this.samplesOf(endpoint).roundTrip.count,
      marginLearning.minFleetSamples,
      marginLearning.coldStartMs,
      marginLearning.forgetAfterMs,
    )) as [string, string, string, string];
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
