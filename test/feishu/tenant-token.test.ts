import { FleetFatalError } from '../../src/lib/errors/fleet-fatal-error';
import { runChildren } from '../helpers/child-process';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime, testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';

describe('fleet tenant_access_token', () => {
  it('fetches one token for many concurrent callers in several processes', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const redis = openRedis(prefix);
    const env = testEnv(sandbox, prefix);
    const results = await runChildren<{ distinct: number; fetches: number; token: string }>(
      4,
      'token-racer.ts',
      env,
      ['25'],
    );
    expect(sandbox.stats().endpoints.token.calls).toBe(1);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.map((r) => r.fetches).reduce((a, b) => a + b)).toBe(1);
    const keys = await redis.keys(`${prefix}:token:*`);
    expect(keys.some((k) => k.endsWith(':lock'))).toBe(false);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('drops an invalidated token for the fleet, fetches once more and retries the call once', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
    const redis = openRedis(prefix);
    await runtime.client.listTerminationReasons();
    sandbox.tokens.expireAll();
    const reasons = await runtime.client.listTerminationReasons();
    expect(reasons.length).toBeGreaterThan(0);
    const stats = sandbox.stats();
    expect(stats.tokensIssued).toBe(2);
    expect(stats.endpoints.listTerminationReasons.codes).toEqual({ '99991663': 1 });
    expect(stats.endpoints.listTerminationReasons.successes).toBe(2);
    await runtime.close();
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('stops with a fleet-fatal error naming the fix for a wrong secret, without the secret', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const wrongSecret = 'wrong-secret-value-123';
    const runtime = openRuntime(sandbox, prefix, { FEISHU_APP_SECRET: wrongSecret });
    const redis = openRedis(prefix);
    const failure = await runtime.client.listTerminationReasons().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FleetFatalError);
    expect((failure as Error).message).toMatch(/FEISHU_APP_SECRET/);
    expect(JSON.stringify(failure) + String((failure as Error).stack)).not.toContain(wrongSecret);
    await runtime.close();
    await redis.closeAndClean();
    await sandbox.close();
  });
});
