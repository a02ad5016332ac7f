import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorCheck } from '../../src/lib/fleet/doctor';
import { runCli } from '../helpers/cli';
import { inputDir, terminateCsv } from '../helpers/files';
import { PrivateRedis } from '../helpers/private-redis';
import { openRedis, testPrefix } from '../helpers/redis';
import { startCli } from '../helpers/processes';
import { track } from '../helpers/resources';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('refusals');

/** A port something else already listens on. */
async function takenPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = track('busy port', () => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, close };
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |unexpected error/);

describe('refused at start, in one line, before anything is enqueued (issue 27, findings 10–12)', () => {
  it('checks --results before the batch runs', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 2) } });
    const prefix = testPrefix();
    const input = files.write('r.csv', terminateCsv(1, 2));
    const folder = join(files.dir, 'folder.csv');
    mkdirSync(folder);
    for (const [results, said] of [
      [join(files.dir, 'r70.txt'), /--results .*r70\.txt: end the name in/],
      ['/nonexistent/dir/r.csv', /--results .*the folder \/nonexistent\/dir does not exist/],
      [folder, /--results .*folder\.csv: is a folder, not a file/],
      ['/proc/r.csv', /--results \/proc\/r\.csv: cannot be written/],
    ] as const) {
      const run = await runCli(
        ['run', 'terminate', '--file', input, '--results', results],
        testEnv(sandbox, prefix),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(said);
      noStack(run.stderr);
    }
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    const redis = openRedis(prefix);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('refuses a busy port for the sandbox, the dashboard, work and run', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 2) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const busy = await takenPort();
    const port = String(busy.port);
    const input = files.write('p.csv', terminateCsv(1, 2));
    for (const args of [
      ['sandbox', '--port', port],
      ['dashboard', '--port', port],
      ['work', '--metrics-port', port],
      ['run', 'terminate', '--file', input, '--metrics-port', port],
    ]) {
      const run = await runCli(args, env);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toMatch(new RegExp(`cannot serve .* on .*:${port}: the port is in use`));
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      noStack(run.stderr);
    }
    // `run` with HIRE_METRICS_PORT: nothing was enqueued.
    const viaEnv = await runCli(['run', 'terminate', '--file', input], { ...env, HIRE_METRICS_PORT: port });
    expect(viaEnv.code).toBe(1);
    const redis = openRedis(prefix);
    expect(await redis.keys(`${prefix}:batch*`)).toEqual([]);
    await redis.closeAndClean();
    await busy.close();
    await sandbox.close();
  });

  it('refuses a REDIS_URL database Redis does not have, naming REDIS_URL, writing nothing', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 2) } });
    const prefix = testPrefix();
    for (const [url, said] of [
      ['redis://127.0.0.1:6379/99', /REDIS_URL names database 99/],
      ['redis://127.0.0.1:6379?db=99', /REDIS_URL names database 99/],
      ['redis://127.0.0.1:99999', /REDIS_URL is not a valid URL/],
      [
        'redis://127.0.0.1:6379/abc',
        /REDIS_URL: the database \(after the last \/, or \?db=\) must be a number/,
      ],
    ] as const) {
      for (const args of [['status'], ['work']]) {
        const run = await runCli(args, testEnv(sandbox, prefix, { REDIS_URL: url }));
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(said);
        noStack(run.stderr);
      }
    }
    const redis = openRedis(prefix);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    await redis.closeAndClean();
    await sandbox.close();
  });
});

describe('a full Redis (issue 27, finding 6)', () => {
  it('says so in one line with how many rows went in and how to finish; the batch says it is not all in; doctor fails', async () => {
    const redis = await PrivateRedis.start({ persist: false, args: ['--maxmemory-policy', 'noeviction'] });
    const stopRedis = track('private redis', () => redis.stop());
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 2) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix, { REDIS_URL: redis.url });
    const control = new Redis(redis.url);
    const used = Number(/used_memory:(\d+)/.exec(await control.info('memory'))![1]);
    await control.config('SET', 'maxmemory', String(used + 3_000_000));
    const input = files.write('oom.csv', terminateCsv(1, 60_000));
    const full = await runCli(['enqueue', 'terminate', '--file', input, '--batch', 'oom1'], env);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(
      /^hire-queue: Redis is full: .*; \d+ row\(s\) went into batch oom1 .*--batch oom1\)\n$/,
    );
    noStack(full.stderr);
    const report = JSON.parse((await runCli(['batch', 'oom1', '--json'], env)).stdout) as {
      allRowsIn: boolean;
      counts: { total: number };
    };
    expect(report.allRowsIn).toBe(false);
    expect(report.counts.total).toBeLessThan(60_000);
    expect((await runCli(['status'], env)).stdout).toMatch(/oom1.*input not all in/);
    const doctor = await runCli(['doctor', '--json'], env);
    const memory = (JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks.find(
      (c) => c.name === 'memory',
    );
    expect(memory).toMatchObject({ status: 'fail', fix: expect.stringContaining('maxmemory') });
    const oneRow = await runCli(
      ['run', 'terminate', '--file', files.write('one.csv', terminateCsv(1, 1)), '--json'],
      env,
    );
    expect(oneRow.code).toBe(1);
    expect(JSON.parse(oneRow.stdout)).toMatchObject({ error: { code: 'REDIS_FULL' } });
    noStack(oneRow.stderr);

    // Room made: the same command finishes the batch, nothing twice.
    await control.config('SET', 'maxmemory', '0');
    const rest = await runCli(['enqueue', 'terminate', '--file', input, '--batch', 'oom1', '--json'], env);
    expect(rest.code).toBe(0);
    const after = JSON.parse((await runCli(['batch', 'oom1', '--json'], env)).stdout) as typeof report;
    expect(after).toMatchObject({ allRowsIn: true, counts: { total: 60_000 } });
    await control.quit();
    await stopRedis();
    await sandbox.close();
  });
});

describe('--json always prints one object (issue 27, finding 15)', () => {
  it('prints the error on a fatal refusal and the partial report on SIGTERM', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 40) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '5/s' });
    const input = files.write('json.csv', terminateCsv(1, 40));
    const wrong = await runCli(['run', 'terminate', '--file', input, '--json'], {
      ...env,
      FEISHU_APP_SECRET: 'not-the-secret',
    });
    expect(wrong.code).toBe(1);
    const error = JSON.parse(wrong.stdout) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('FLEET_FATAL');
    expect(wrong.stdout).not.toContain('not-the-secret');

    const unknownFlag = await runCli(['run', 'terminate', '--file', input, '--json', '--bogus'], env);
    expect(unknownFlag.code).toBe(2);
    expect(JSON.parse(unknownFlag.stdout)).toEqual({
      error: { code: 'USAGE', message: "unknown option '--bogus'" },
    });

    const arrived = new Promise<void>((resolve) => {
      let calls = 0;
      sandbox.onArrival((event) => event.endpoint === 'terminate' && ++calls === 3 && resolve());
    });
    const run = startCli(['run', 'terminate', '--file', input, '--batch', 'term1', '--json'], { env });
    await arrived;
    const { code } = await run.stop('SIGTERM');
    expect(code).toBe(143);
    const partial = JSON.parse(run.stdout()) as {
      batchId: string;
      allRowsIn: boolean;
      counts: { total: number; pending: number };
    };
    expect(partial).toMatchObject({ batchId: 'term1', allRowsIn: true, counts: { total: 40 } });
    expect(partial.counts.pending).toBeGreaterThan(0);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
