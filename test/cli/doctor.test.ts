import type { DoctorCheck } from '../../src/lib/fleet/doctor';
import { runCli } from '../helpers/cli';
import { PrivateRedis } from '../helpers/private-redis';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { track } from '../helpers/resources';

async function doctor(env: Record<string, string | undefined>) {
  const result = await runCli(['doctor', '--json'], env);
  const { checks } = JSON.parse(result.stdout) as { checks: DoctorCheck[] };
  const byName = Object.fromEntries(checks.map((check) => [check.name, check]));
  return { code: result.code, checks, byName };
}

describe('hire-queue doctor', () => {
  it('passes a healthy setup, naming each check, and fails a wrong secret and a missing scope with the fix', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);

    const healthy = await doctor(env);
    expect(healthy.code).toBe(0);
    expect(healthy.checks.map((c) => c.name)).toEqual([
      'redis',
      'maxmemory-policy',
      'memory',
      'persistence',
      'cluster-slot',
      'credentials',
      'scope',
      'clock',
      'limits',
    ]);
    expect(healthy.byName['redis']).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^Redis \d+\.\d+/),
    });
    expect(healthy.byName['credentials']!.status).toBe('ok');
    expect(healthy.byName['scope']!.status).toBe('ok');
    expect(healthy.byName['clock']!.status).toBe('ok');
    expect(healthy.byName['limits']!.message).toContain('terminate 20/1000 ms');

    const wrongSecret = await doctor({ ...env, FEISHU_APP_SECRET: 'not-the-secret' });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.byName['credentials']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('FEISHU_APP_SECRET'),
    });
    expect(wrongSecret.byName['scope']).toBeUndefined();
    expect(JSON.stringify(wrongSecret.checks)).not.toContain('not-the-secret');

    sandbox.config.apps[0]!.hireScope = false;
    const noScope = await doctor(env);
    expect(noScope.code).toBe(1);
    expect(noScope.byName['credentials']!.status).toBe('ok');
    expect(noScope.byName['scope']).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('99991672'),
    });
    expect(noScope.byName['scope']!.fix).toBeTruthy();
    // The token the healthy run fetched is kept under the prefix, as a worker's would be.
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('fails a Redis that may evict jobs and warns of one that keeps nothing on disk', async () => {
    const sandbox = await openSandbox();
    const redis = await PrivateRedis.start({ persist: false, args: ['--maxmemory-policy', 'allkeys-lru'] });
    const stopRedis = track('private redis', () => redis.stop());
    const env = { ...testEnv(sandbox, testPrefix()), REDIS_URL: redis.url };
    const result = await doctor(env);
    expect(result.code).toBe(1);
    expect(result.byName['maxmemory-policy']).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('allkeys-lru'),
      fix: expect.stringContaining('noeviction'),
    });
    expect(result.byName['persistence']!.status).toBe('warn');
    await stopRedis();
    await sandbox.close();
  });

  it('fails when Redis does not answer, and says so in words without --json', async () => {
    const sandbox = await openSandbox();
    const env = { ...testEnv(sandbox, testPrefix()), REDIS_URL: 'redis://127.0.0.1:1' };
    const result = await runCli(['doctor'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^fail\s+redis\s+Redis at redis:\/\/127\.0\.0\.1:1 did not answer/m);
    expect(result.stdout).toContain('to fix: start Redis');
    await sandbox.close();
  });
});
