import { FleetRateLimiter } from '../../src/lib/limiter/fleet-rate-limiter';
import { localNowMs, RedisClock } from '../../src/lib/limiter/redis-clock';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import { runChildren } from '../helpers/child-process';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime, testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

type Hammer = { codes: Record<string, number> };

/**
 * These tests assert the guarantee (no window over its cap, no 429), never a rate: `npm run
 * bench:limiter` measures that. Test runs share 2 cores with suites whose child processes compile
 * TypeScript, so the floor of the learned margin is raised where a stall of tens of ms would
 * otherwise land a call early.
 */
const CI_FLOOR_MS = '40';

/** A limiter of its own on terminate (LIMIT per second, a fixed margin), beside a sandbox and runtime. */
async function openTerminateLimiter(options: {
  limit: number;
  fixedMarginMs: number;
  horizonMs: number;
  sandbox?: Parameters<typeof openSandbox>[0];
  clock?: RedisClock;
}) {
  const sandbox = await openSandbox(options.sandbox);
  const prefix = testPrefix();
  const runtime = openRuntime(sandbox, prefix);
  const limiter = new FleetRateLimiter({
    redis: runtime.redis,
    keys: runtime.keys,
    appId: SANDBOX_APP.appId,
    limits: { create: [], read: [], terminate: [{ limit: options.limit, windowMs: 1000 }] },
    margin: { mode: 'fixed', floorMs: options.fixedMarginMs },
    horizonMs: options.horizonMs,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const close = async () => {
    await runtime.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  };
  return { runtime, limiter, close };
}

describe('fleet rate limiter', () => {
  it("learns nothing of Redis's clock from an endpoint without caps (create here), which capped ones share", async () => {
    const clock = new RedisClock();
    // Redis one second ahead of this process, seen over a 4 ms round trip.
    const sentAt = localNowMs();
    clock.observe(sentAt, sentAt + 4, sentAt + 2 + 1000);
    const { limiter, close } = await openTerminateLimiter({
      limit: 10,
      fixedMarginMs: 10,
      horizonMs: 500,
      clock,
    });
    let admitted = 0;
    await limiter.acquire('create', { beforeSend: async () => void admitted++ });
    expect(admitted).toBe(1);
    expect(clock.toLocal(10_000)).toBeCloseTo(9_000, 0);
    await close();
  });

  it('learns a margin wider than the network jitter: four processes, 80 ms of jitter, never over the cap', async () => {
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 5),
        limits: { terminate: [{ limit: 20, windowMs: 1000 }] },
        // Twice the floor: a fixed margin at the floor would put calls in the same window.
        faults: { terminate: { latencyMs: 1, jitterMs: 80 } },
      },
    });
    const prefix = testPrefix();
    const redis = openRedis(prefix);
    const env = {
      ...testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s', HIRE_LIMIT_MARGIN_MS: CI_FLOOR_MS }),
      HAMMER_IDS: 'app-1,app-2,app-3',
    };
    const results = await runChildren<Hammer>(4, 'limiter-hammer.ts', env, ['terminate', '40', '4']);
    const stats = sandbox.stats().endpoints.terminate;
    expect(stats.calls).toBe(160);
    expect(stats.http429).toBe(0);
    expect(stats.peakInWindow['1000']).toBeLessThanOrEqual(20);
    expect(results.every((r) => r.codes['99991400'] === undefined)).toBe(true);
    // What the fleet learned covers the jitter, and every process can read it.
    const runtime = openRuntime(sandbox, prefix, { HIRE_LIMIT_MARGIN_MS: CI_FLOOR_MS });
    const state = await runtime.limiter.state('terminate');
    expect(state.marginMs).toBeGreaterThanOrEqual(75);
    expect(state.allowance).toBeCloseTo(1000 / (1000 + state.marginMs), 6);
    await runtime.close();
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('holds every cap of create together (per-window and the longer window)', async () => {
    const sandbox = await openSandbox({
      config: {
        limits: {
          create: [
            { limit: 10, windowMs: 500 },
            { limit: 30, windowMs: 2000 },
          ],
        },
      },
    });
    const prefix = testPrefix();
    const redis = openRedis(prefix);
    const env = {
      ...testEnv(sandbox, prefix, {
        HIRE_LIMIT_CREATE: '10/500ms,30/2s',
        HIRE_LIMIT_MARGIN_MS: CI_FLOOR_MS,
      }),
      HAMMER_IDS: 'talent-x',
    };
    await runChildren<Hammer>(3, 'limiter-hammer.ts', env, ['create', '15', '5']);
    const stats = sandbox.stats().endpoints.create;
    expect(stats.calls).toBe(45);
    expect(stats.http429).toBe(0);
    expect(stats.peakInWindow['500']).toBeLessThanOrEqual(10);
    expect(stats.peakInWindow['2000']).toBeLessThanOrEqual(30);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('gives reservations in order, spaced so that no window holds more than its cap', async () => {
    const { limiter, close } = await openTerminateLimiter({
      limit: 3,
      fixedMarginMs: 10,
      horizonMs: 10_000,
    });
    const reservations = [];
    for (let i = 0; i < 7; i++) reservations.push(await limiter.reserve('terminate'));
    const waits = reservations.map((r) => r.waitMs);
    const slots = reservations.map((r) => r.atMs);
    // Spaced evenly at (window + margin) / limit, in order, never 4 in any window of 1 s + margin.
    expect(reservations.every((r) => r.reserved && r.marginMs === 10)).toBe(true);
    expect(waits[0]).toBeLessThan(50);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    for (let i = 1; i < 7; i++) expect(slots[i]! - slots[i - 1]!).toBeCloseTo(1010 / 3, 0);
    for (let i = 3; i < 7; i++) expect(slots[i]! - slots[i - 3]!).toBeGreaterThanOrEqual(1010);
    await close();
  });

  it('holds no slot beyond its horizon, so a margin that grows meanwhile applies to the call', async () => {
    const { limiter, close } = await openTerminateLimiter({
      limit: 3,
      fixedMarginMs: 200,
      horizonMs: 500,
    });
    const first = await limiter.reserve('terminate');
    const second = await limiter.reserve('terminate');
    const third = await limiter.reserve('terminate');
    expect([first.reserved, second.reserved, third.reserved]).toEqual([true, true, false]);
    // Not held: asking again gives the same time, not one a slot later.
    const again = await limiter.reserve('terminate');
    expect(again.reserved).toBe(false);
    expect(again.atMs).toBeCloseTo(third.atMs, 0);
    expect(third.atMs - second.atMs).toBeCloseTo(1200 / 3, 0);
    await close();
  });

  it('records the real send time of a caller that wakes late, and spaces the call `limit` places later from it', async () => {
    const { runtime, limiter, close } = await openTerminateLimiter({
      limit: 2,
      fixedMarginMs: 10,
      horizonMs: 100,
      // Reads answer 300 ms late: the first caller's check before sending waits for one.
      sandbox: { config: { faults: { listApplications: { latencyMs: 300 } } } },
    });
    // The first caller is held 300 ms past its slot by its last check (a slow batch check, a stalled loop).
    const redisNow = async () => {
      const [seconds, micros] = (await runtime.redis.time()).map(Number) as [number, number];
      return seconds * 1000 + micros / 1000;
    };
    const before = await redisNow();
    await limiter.acquire('terminate', {
      beforeSend: async () => void (await runtime.client.listApplications({ page_size: 1 })),
    });
    expect([limiter.movedSlots, limiter.lateSlots]).toEqual([1, 0]);
    await limiter.acquire('terminate');
    const [[, firstScore]] = [
      await runtime.redis.zrangebyscore(
        runtime.keys.limiter(SANDBOX_APP.appId, 'terminate').cap(1000),
        '-inf',
        '+inf',
        'WITHSCORES',
      ),
    ];
    const firstSent = Number(firstScore);
    // The first call's slot was right away; its record is when it really left, 300 ms later.
    expect(firstSent - before).toBeGreaterThanOrEqual(290);
    // Two per second: the third call is a window plus the margin after the first's real send.
    const third = await limiter.reserve('terminate');
    expect(third.atMs).toBeGreaterThanOrEqual(firstSent + 1010 - 0.01);
    await close();
  });

  it('sends a call answered 429 again at its next slot, widening the margin, without failing it', async () => {
    // The sandbox is stricter than what the client believes, so the client meets real 429s.
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 5), limits: { terminate: [{ limit: 2, windowMs: 1000 }] } },
    });
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s' });
    const other = openRuntime(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s' });
    const before = await other.limiter.state('terminate');
    const codes: (number | undefined)[] = [];
    for (const id of ['app-1', 'app-2', 'app-3']) {
      codes.push(
        await runtime.client
          .terminateApplication({ application_id: id, termination_type: 1 })
          .then(() => 0)
          .catch((e: { feishuCode?: number }) => e.feishuCode),
      );
    }
    // The third call met 429s and was sent again until it got through.
    expect(codes).toEqual([0, 0, 0]);
    const stats = sandbox.stats().endpoints.terminate;
    expect(stats.http429).toBeGreaterThanOrEqual(1);
    expect(stats.successes).toBe(3);
    // Another process of the fleet uses the wider margin at once.
    const after = await other.limiter.state('terminate');
    expect(after.marginMs).toBeGreaterThanOrEqual(before.marginMs * 1.5);
    await runtime.close();
    await other.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('blocks the endpoint fleet-wide only when the reset outlasts the window, or a resend is refused again', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s' });
    const other = openRuntime(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s' });
    const slot = await runtime.limiter.acquire('terminate');
    const blockedForMs = async () =>
      (await other.limiter.state('terminate')).blockedUntilMs -
      (await other.redis.time()).map(Number)[0]! * 1000;

    // Reset 1 s on a 1 s window: the next slot waits it out; nothing is blocked.
    expect(await runtime.limiter.rateLimited(slot, 1, 0)).toBe(true);
    expect(await blockedForMs()).toBeLessThan(0);
    // The same call refused again: the fleet waits the reset out.
    expect(await runtime.limiter.rateLimited(slot, 1, 1)).toBe(true);
    expect(await blockedForMs()).toBeGreaterThan(0);
    // Reset 5 s (the window is full for longer than a slot): blocked for it; after two resends the job waits instead.
    expect(await runtime.limiter.rateLimited(slot, 5, 2)).toBe(false);
    expect(await blockedForMs()).toBeGreaterThan(3000);
    await runtime.close();
    await other.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('widens the next window fleet-wide after one late call, the spacing of another process included', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const env = { HIRE_LIMIT_TERMINATE: '20/s' };
    const one = openRuntime(sandbox, prefix, env);
    const other = openRuntime(sandbox, prefix, env);
    // A steady process: 60 calls answered in 3 ms, sent on time; the fleet learns a small margin.
    for (let i = 0; i < 60; i++) await one.limiter.margin.record('terminate', 0, 3);
    const steady = (await other.limiter.state('terminate')).marginMs;
    expect(steady).toBeLessThan(15);
    // One call arrives 35 ms late (its answer came 38 ms after it was written): the fleet's margin
    // covers it at once, not once it is a percentile.
    await one.limiter.margin.record('terminate', 0, 38);
    const widened = (await other.limiter.state('terminate')).marginMs;
    expect(widened).toBeGreaterThanOrEqual(35);
    // And the other process's reservations are spaced by it: (window + margin) / limit.
    const first = await other.limiter.reserve('terminate');
    const second = await other.limiter.reserve('terminate');
    expect(second.marginMs).toBeCloseTo(widened, 0);
    expect(second.atMs - first.atMs).toBeCloseTo((1000 + widened) / 20, 0);
    await one.close();
    await other.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('keeps every window under its cap when the network has a long tail: 400 terminations, one process, no 429', async () => {
    // Rare arrivals held 60–100 ms, beyond the raised floor: only a margin that covers the tail
    // (not a p99 of the delays, which 0.6% of calls exceed) keeps their windows under the cap.
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 3),
        limits: { terminate: [{ limit: 20, windowMs: 1000 }] },
        faults: { terminate: { latencyMs: 3, jitterMs: 6, tail: 0.006, tailMinMs: 60, tailMaxMs: 100 } },
      },
    });
    const prefix = testPrefix();
    const env = {
      ...testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '20/s', HIRE_LIMIT_MARGIN_MS: CI_FLOOR_MS }),
      HAMMER_IDS: 'app-1,app-2,app-3',
    };
    await runChildren<Hammer>(1, 'limiter-hammer.ts', env, ['terminate', '400', '8']);
    const stats = sandbox.stats().endpoints.terminate;
    expect(stats.calls).toBe(400);
    expect(stats.faults.tail).toBeGreaterThanOrEqual(1);
    expect(stats.http429).toBe(0);
    expect(stats.peakInWindow['1000']).toBeLessThanOrEqual(20);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
