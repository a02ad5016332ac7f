import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { inputDir, terminateCsv } from '../helpers/files';
import { startCli } from '../helpers/processes';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('misconfigured');
const closeFile = (name: string, from: number, to: number) => files.write(name, terminateCsv(from, to));

async function startHealthyWork(env: Record<string, string | undefined>) {
  const work = startCli(['work'], { env: { ...env, LOG_LEVEL: 'info' } });
  await work.waitForOutput('workers started');
  return work;
}

describe('one machine with a wrong secret', () => {
  it('`work` exits 1 at start, naming the fix once, while two healthy workers finish the batch', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 30) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const healthy = [await startHealthyWork(env), await startHealthyWork(env)];
    // The fleet's cached token must not cover for it: drop it first.
    const redis = openRedis(prefix);
    await redis.del(`${prefix}:token:cli_sandbox_app`);
    const wrong = await runCli(['work'], { ...env, FEISHU_APP_SECRET: 'not-the-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Feishu refused this process's app credentials/);
    expect(wrong.stderr.match(/To fix: set FEISHU_APP_SECRET/g)).toHaveLength(1);

    expect(
      (await runCli(['enqueue', 'terminate', '--file', closeFile('a.csv', 1, 30), '--batch', 'a'], env)).code,
    ).toBe(0);
    const report = await runCli(['batch', 'a', '--wait', '--json'], env);
    expect(report.code).toBe(0);
    expect((JSON.parse(report.stdout) as BatchReport).counts.succeeded).toBe(30);
    expect(await redis.exists(`${prefix}:fleet-halt`)).toBe(0);
    for (const work of healthy) expect((await work.stop('SIGTERM')).code).toBe(143);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('`run` exits 1 before enqueuing and leaves the queues running for the fleet', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 20) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const redis = openRedis(prefix);
    await redis.del(`${prefix}:token:cli_sandbox_app`);
    const wrong = await runCli(['run', 'terminate', '--file', closeFile('b.csv', 1, 10), '--batch', 'b'], {
      ...env,
      FEISHU_APP_SECRET: 'not-the-secret',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/FEISHU_APP_SECRET/);
    expect(await redis.exists(`${prefix}:fleet-halt`)).toBe(0);
    expect(await redis.exists(`${prefix}:terminate:paused`)).toBe(0);
    expect(await redis.hget(`${prefix}:terminate:meta`, 'paused')).toBeNull();
    // The fleet goes on: a healthy run of the same file finishes.
    const healthy = await runCli(
      ['run', 'terminate', '--file', closeFile('b.csv', 1, 10), '--batch', 'b', '--json'],
      env,
    );
    expect(healthy.code).toBe(0);
    expect((JSON.parse(healthy.stdout) as BatchReport).counts.succeeded).toBe(10);
    await redis.closeAndClean();
    await sandbox.close();
  });
});
