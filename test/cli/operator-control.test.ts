import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { inputDir, terminateCsv } from '../helpers/files';
import { PrivateRedis } from '../helpers/private-redis';
import { startCli } from '../helpers/processes';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('control');
const closeFile = (name: string, from: number, to: number) => files.write(name, terminateCsv(from, to));

/** Resolves once `count` terminate calls have arrived at the sandbox; also counts them. */
function terminateArrivals(sandbox: TestSandbox) {
  const ids: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  sandbox.onArrival((event) => {
    if (event.endpoint !== 'terminate') return;
    ids.push(event.applicationId ?? '');
    for (const w of waiters.filter((w) => ids.length >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    ids,
    reached: (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

describe('an operator in control', () => {
  it('cancels a batch from the command line: rows never called are reported cancelled, exit 3', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 60) } });
    const arrivals = terminateArrivals(sandbox);
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '10/s' });
    const run = startCli(['run', 'terminate', '--file', closeFile('wrong.csv', 1, 60), '--batch', 'wrong'], {
      env,
    });
    await arrivals.reached(3);

    const cancel = await runCli(['batch', 'wrong', '--cancel', '--yes', '--json'], env);
    expect(cancel.code).toBe(0);
    const callsWhenCancelled = arrivals.ids.length;
    const control = JSON.parse(cancel.stdout) as {
      state: string;
      inFlight: number;
      cancelled: number;
      notCalled: number;
    };
    expect(control.state).toBe('cancelled');
    expect(control.cancelled).toBeGreaterThan(0);
    // What the command says is what the report ends with (issue 27, finding 16).
    expect(cancel.stderr).toContain(`${control.notCalled} call(s) will not be made`);

    const { code } = await run.exited;
    expect(code).toBe(3);
    const results = join(files.dir, 'wrong.ndjson');
    const report = await runCli(['batch', 'wrong', '--wait', '--json', '--results', results], env);
    expect(report.code).toBe(3);
    const parsed = JSON.parse(report.stdout) as BatchReport;
    expect(parsed.state).toBe('cancelled');
    expect(parsed.counts.pending).toBe(0);
    expect(parsed.counts.cancelled + parsed.counts.succeeded).toBe(60);
    expect(parsed.counts.cancelled).toBe(control.notCalled);
    // A cancelled batch takes no more rows: they would end cancelled, never called.
    const more = await runCli(
      ['enqueue', 'terminate', '--file', closeFile('more.csv', 1, 3), '--batch', 'wrong'],
      env,
    );
    expect(more.code).toBe(2);
    expect(more.stderr).toContain('batch wrong is cancelled: nothing to enqueue into it');
    expect(parsed.counts.cancelled).toBeGreaterThanOrEqual(control.cancelled);
    expect(arrivals.ids.length - callsWhenCancelled).toBeLessThanOrEqual(control.inFlight);
    expect(arrivals.ids.length).toBe(parsed.counts.succeeded);
    const statuses = readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { status: string }).status);
    expect(statuses.filter((s) => s === 'cancelled')).toHaveLength(parsed.counts.cancelled);
    // A cancelled batch stays cancelled.
    expect((await runCli(['batch', 'wrong', '--resume'], env)).code).toBe(2);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('stops `run` on Ctrl-C with exit 130, releasing its jobs; the same command again finishes the rest', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 60) } });
    const arrivals = terminateArrivals(sandbox);
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '10/s' });
    const args = ['run', 'terminate', '--file', closeFile('round.csv', 1, 60), '--batch', 'round', '--json'];
    const first = startCli(args, { env });
    await arrivals.reached(5);
    first.child.kill('SIGINT');
    const { code } = await first.exited;
    expect(code).toBe(130);
    expect(first.stderr()).toMatch(/interrupted: \d+ of 60 rows of batch round done/);
    expect(first.stderr()).toContain('--batch round');
    const redis = openRedis(prefix);
    // Released, not locked: nothing is left active for a lock to lapse on.
    expect(await redis.llen(`${prefix}:terminate:active`)).toBe(0);

    const again = await runCli(args, env);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as BatchReport;
    expect(report.counts).toMatchObject({ total: 60, succeeded: 60, alreadyDone: 0, pending: 0 });
    expect(new Set(arrivals.ids).size).toBe(60);
    expect(arrivals.ids).toHaveLength(60);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('exits at once on a second Ctrl-C, without waiting for calls in flight', async () => {
    // Every call takes 3 s to arrive: a graceful stop would wait for the ones in flight.
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 60), faults: { terminate: { latencyMs: 3000 } } },
    });
    const working = new Promise<void>((resolve) =>
      sandbox.onAnswer((event) => event.endpoint === 'token' && resolve()),
    );
    const prefix = testPrefix();
    const run = startCli(['run', 'terminate', '--file', closeFile('slow.csv', 1, 60)], {
      env: testEnv(sandbox, prefix),
    });
    await working;
    run.child.kill('SIGINT');
    await run.waitForOutput('Ctrl-C again');
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
    expect(run.stderr()).toContain('second interrupt, exiting now');
    expect(sandbox.stats().endpoints.terminate.successes).toBe(0);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('notices that Redis lost the batch under `run` and exits 1 naming it, instead of waiting forever', async () => {
    const redisServer = await PrivateRedis.start({ persist: false });
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 60) } });
    const arrivals = terminateArrivals(sandbox);
    const env = testEnv(sandbox, '{hire-queue}', {
      REDIS_URL: redisServer.url,
      HIRE_LIMIT_TERMINATE: '10/s',
    });
    const run = startCli(['run', 'terminate', '--file', closeFile('lost.csv', 1, 60), '--batch', 'lost'], {
      env,
    });
    await arrivals.reached(5);
    await redisServer.stop();
    await redisServer.start();
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toMatch(/batch lost: Redis no longer holds its record \(\d+ of 60 rows were done\)/);
    expect(run.stderr()).toMatch(/restarted without persistence/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    await redisServer.stop();
    await sandbox.close();
  });

  it('exits 2 at once when waiting for a batch that does not exist', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 1) } });
    const prefix = testPrefix();
    const result = await runCli(['batch', 'no-such-batch', '--wait'], testEnv(sandbox, prefix));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no batch no-such-batch under prefix/);
    // The command's queues wrote their meta as they opened.
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('refuses to run a paused batch, which would wait until someone resumes it', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 4) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const file = closeFile('paused.csv', 1, 4);
    expect((await runCli(['enqueue', 'terminate', '--file', file, '--batch', 'held'], env)).code).toBe(0);
    expect((await runCli(['batch', 'held', '--pause'], env)).code).toBe(0);
    const run = await runCli(['run', 'terminate', '--file', file, '--batch', 'held', '--json'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'batch held is paused: nothing of it would run. Resume it first (hire-queue batch held --resume)',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'BATCH_PAUSED' } });
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
