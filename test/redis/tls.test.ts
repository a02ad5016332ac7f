import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { inputDir, terminateCsv } from '../helpers/files';
import { missingRedisServer, startTlsRedis } from '../helpers/redis-topologies';
import { testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const missing = missingRedisServer();
if (missing) console.warn(`Redis TLS test skipped: ${missing}`);
const maybe = missing ? it.skip : it;

describe('Redis with a password and TLS', () => {
  maybe('runs a batch over rediss:// with a private CA, and refuses a server it cannot verify', async () => {
    const redis = await startTlsRedis();
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 6) } });
    const input = inputDir('tls').write('close.csv', terminateCsv(1, 6));
    const env = { ...testEnv(sandbox, testPrefix()), REDIS_URL: redis.url, REDIS_TLS_CA: redis.caFile };

    const run = await runCli(['run', 'terminate', '--file', input, '--batch', 'tls-1', '--json'], env);
    expect(run.stderr).not.toContain(redis.password);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as BatchReport;
    expect(report.counts.succeeded).toBe(6);
    expect(sandbox.stats().endpoints.terminate.successes).toBe(6);

    const doctor = await runCli(['doctor'], env);
    expect(doctor.stdout).toMatch(/^ok\s+redis\s+Redis \S+ at rediss:\/\/hq:\*\*\*@127\.0\.0\.1/m);

    // Without the CA the certificate cannot be verified; with a wrong password Redis refuses.
    const unverified = await runCli(['status'], { ...env, REDIS_TLS_CA: undefined });
    expect(unverified.code).toBe(1);
    expect(unverified.stderr).toMatch(/did not answer \(.*certificate/i);
    const wrongPassword = await runCli(['status'], {
      ...env,
      REDIS_URL: redis.url.replace(redis.password, 'wrong-password'),
    });
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toContain('rediss://hq:***@');
    expect(wrongPassword.stderr).not.toContain('wrong-password');
    await sandbox.close();
    await redis.stop();
  });
});
