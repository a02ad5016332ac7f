import { AdmissionWindow, PeakWindowCounter } from '../../src/sandbox/admission-window';
import { call, fetchToken, openSandbox } from '../helpers/sandbox';
import { smallFixture } from './fixture';

describe('sandbox rate limits', () => {
  it('answers the 21st terminate within a second with 429, 99991400 and the rate-limit headers', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 21) } });
    const token = await fetchToken(sandbox);
    const answers = [];
    for (let i = 1; i <= 21; i++) {
      answers.push(
        await call(sandbox, 'POST', `/open-apis/hire/v1/applications/app-${i}/terminate`, {
          body: { termination_type: 1 },
          token,
        }),
      );
    }
    const stats = sandbox.stats().endpoints.terminate;
    expect(stats.peakInWindow['1000']).toBe(21);
    expect(answers.slice(0, 20).every((a) => a.body.code === 0)).toBe(true);
    const last = answers[20]!;
    expect(last.status).toBe(429);
    expect(last.body.code).toBe(99991400);
    expect(last.headers.get('x-ogw-ratelimit-limit')).toBe('20');
    expect(Number(last.headers.get('x-ogw-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(stats).toMatchObject({ calls: 21, successes: 20, http429: 1, codes: { '99991400': 1 } });
    expect(sandbox.state.applications.get('app-21')?.active_status).toBe(1);
    await sandbox.close();
  });

  it('enforces every cap of an endpoint together, per app', async () => {
    const sandbox = await openSandbox({
      config: {
        limits: {
          listTerminationReasons: [
            { limit: 5, windowMs: 60_000 },
            { limit: 3, windowMs: 1000 },
          ],
        },
        apps: [
          { appId: 'app-a', appSecret: 'a' },
          { appId: 'app-b', appSecret: 'b' },
        ],
      },
    });
    const tokenA = await fetchToken(sandbox, { appId: 'app-a', appSecret: 'a' });
    const tokenB = await fetchToken(sandbox, { appId: 'app-b', appSecret: 'b' });
    const read = async (token: string) =>
      (await call(sandbox, 'GET', '/open-apis/hire/v1/termination_reasons', { token })).body.code;
    const codesA = [];
    for (let i = 0; i < 4; i++) codesA.push(await read(tokenA));
    expect(codesA).toEqual([0, 0, 0, 99991400]);
    expect(await read(tokenB)).toBe(0);
    await sandbox.close();
  });
});

describe('sandbox config overrides', () => {
  it('keeps the default caps of endpoints an override does not name, whatever else it sets', async () => {
    const sandbox = await openSandbox({
      config: {
        apps: [{ appId: 'app-a', appSecret: 'a' }],
        limits: { create: [{ limit: 5, windowMs: 1000 }] },
        generate: { talents: 1, jobs: 1, employees: 0, applications: 0, maxAgeDays: 1 },
      },
    });
    expect(sandbox.config.limits.create).toEqual([{ limit: 5, windowMs: 1000 }]);
    expect(sandbox.config.limits.terminate).toEqual([{ limit: 20, windowMs: 1000 }]);
    expect(sandbox.config.faults.terminate.errorBeforeEffect).toBe(0);
    await sandbox.close();
  });
});

describe('AdmissionWindow', () => {
  it('admits at most N calls in any half-open window of its length', () => {
    const w = new AdmissionWindow({ limit: 2, windowMs: 1000 });
    w.admit(0);
    w.admit(10);
    expect(w.waitMs(999)).toBe(1);
    expect(w.waitMs(1000)).toBe(0);
    w.admit(1000);
    expect(w.waitMs(1005)).toBe(5);
    expect(w.waitMs(1010)).toBe(0);
  });
});

describe('PeakWindowCounter', () => {
  it('finds the largest count of arrivals in any window, with windows half-open', () => {
    const c = new PeakWindowCounter(1000);
    for (const t of [0, 100, 999, 1000, 1500, 2600]) c.record(t);
    expect(c.peak).toBe(3);
    const burst = new PeakWindowCounter(1000);
    for (const t of [0, 5000, 5001, 5002, 5999.5, 6000, 6001]) burst.record(t);
    // [5000, 6000) holds 4; 6000 drops 5000 out, 6001 drops 5001 out.
    expect(burst.peak).toBe(4);
  });

  it('counts every arrival, whether admitted or rejected', () => {
    const c = new PeakWindowCounter(60_000);
    for (let i = 0; i < 1001; i++) c.record(i * 59);
    expect(c.peak).toBe(1001);
  });
});
