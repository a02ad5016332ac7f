import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { openRedis, testPrefix } from '../helpers/redis';
import { startCli } from '../helpers/processes';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const dir = mkdtempSync(join(tmpdir(), 'hq-fleet-'));

/** `hire-queue work` in the background; resolves once it says its workers started. */
async function startWork(env: Record<string, string | undefined>) {
  const work = startCli(['work'], { env: { LOG_LEVEL: 'info', ...env } });
  await work.waitForOutput('workers started');
  return { stop: async () => (await work.stop('SIGTERM')).code };
}

describe('configuration and usage errors', () => {
  it.each([
    [{ FEISHU_DOMAIN: 'feishu.cn' }, 1, /FEISHU_DOMAIN must be "feishu" or "lark"/],
    [{ FEISHU_APP_ID: '', FEISHU_APP_SECRET: '' }, 1, /FEISHU_APP_ID and FEISHU_APP_SECRET must be set/],
    [{ REDIS_URL: 'redis://127.0.0.1:1' }, 1, /Redis at redis:\/\/127\.0\.0\.1:1 did not answer/],
    [{ HIRE_LIMIT_TERMINATE: '20 per second' }, 1, /HIRE_LIMIT_TERMINATE: "20 per second" is not a cap/],
  ])('%j exits %d naming what to fix', async (env, code, message) => {
    const result = await runCli(['work'], { FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 's', ...env });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for an unknown option and 0 for --help, which lists the commands', async () => {
    const bad = await runCli(['run', 'create', '--file', 'x.csv', '--bogus'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--bogus'/);
    const missing = await runCli(['run', 'create'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--file <path>' not specified/);
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    for (const command of ['demo', 'run', 'enqueue', 'work', 'batch', 'dlq', 'sandbox'])
      expect(help.stdout).toContain(command);
  });
});

describe('a fleet: enqueue, work, batch, dlq, stale', () => {
  it('drains a batch through `work`, reports it with `batch --wait`, and handles its dead letters', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 5) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const work = await startWork(env);

    const input = join(dir, 'close.csv');
    writeFileSync(
      input,
      'application_id,termination_type,termination_reason_list\napp-1,1,reason-1\napp-2,1,\napp-ghost,27,\n',
    );
    const enqueued = await runCli(['enqueue', 'terminate', '--file', input, '--batch', 'close-1'], env);
    expect(enqueued.code).toBe(0);
    expect(enqueued.stdout.trim()).toBe('close-1');
    const waited = await runCli(
      ['batch', 'close-1', '--wait', '--json', '--results', join(dir, 'close.ndjson')],
      env,
    );
    expect(waited.code).toBe(3);
    const report = JSON.parse(waited.stdout) as BatchReport;
    expect(report.counts).toEqual({
      total: 3,
      succeeded: 2,
      alreadyDone: 0,
      skipped: 0,
      deadLettered: 1,
      cancelled: 0,
      invalid: 0,
      pending: 0,
    });
    const results = readFileSync(join(dir, 'close.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'deadLettered']);
    expect(sandbox.state.applications.get('app-1')?.active_status).toBe(2);

    const list = await runCli(['dlq', 'list', '--batch', 'close-1'], env);
    expect(list.stdout).toMatch(/terminate\t1002002\t.*app-ghost not found\tclose-1/);
    const jobId = list.stdout.split('\t')[0]!;
    const shown = JSON.parse((await runCli(['dlq', 'show', jobId], env)).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      code: '1002002',
      httpStatus: 400,
      input: { application_id: 'app-ghost' },
      source: { line: 4 },
    });

    const fix = join(dir, 'fix.csv');
    expect((await runCli(['dlq', 'export', '--batch', 'close-1', '--out', fix], env)).code).toBe(0);
    expect(readFileSync(fix, 'utf8')).toBe(
      'application_id,termination_type,termination_reason_list,termination_reason_note,if_not_updated_since,job_id\napp-ghost,27,,,,\n',
    );
    writeFileSync(fix, readFileSync(fix, 'utf8').replace('app-ghost', 'app-3'));
    const fixed = await runCli(['run', 'terminate', '--file', fix, '--json'], env);
    expect(fixed.code).toBe(0);

    const replay = await runCli(['dlq', 'replay', '--batch', 'close-1', '--into', 'replay-1'], env);
    expect(replay.stdout.trim()).toBe('replay-1');
    expect((await runCli(['dlq', 'list', '--batch', 'close-1'], env)).stderr).toContain('0 dead letter(s)');
    await runCli(['batch', 'replay-1', '--wait'], env);
    expect((await runCli(['dlq', 'list'], env)).stderr).toContain('1 dead letter(s)');
    expect((await runCli(['dlq', 'purge'], env)).code).toBe(2);
    expect((await runCli(['dlq', 'purge', '--yes'], env)).stderr).toContain('purged 1');

    expect(await work.stop()).toBe(143);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('finds stale applications, writes them for review, and enqueues only when confirmed', async () => {
    // Modified 10, 20, 30, 40 and 50 days ago; app-1 has stage-screen, app-2 stage-interview, ...
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 5) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const base = [
      'enqueue',
      'stale',
      '--job-id',
      'job-1',
      '--older-than',
      '25d',
      '--termination-type',
      '1',
      '--reason-id',
      'reason-1',
    ];

    const out = join(dir, 'stale.csv');
    const review = await runCli([...base, '--out', out], env);
    expect(review.code).toBe(0);
    expect(review.stderr).toContain('3 active application(s) of job job-1');
    const cutoff = /not updated since (\S+)/.exec(review.stderr)?.[1];
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'application_id,termination_type,termination_reason_list,termination_reason_note,if_not_updated_since,job_id',
      `app-3,1,reason-1,,${cutoff},job-1`,
      `app-4,1,reason-1,,${cutoff},job-1`,
      `app-5,1,reason-1,,${cutoff},job-1`,
    ]);
    const noTty = await runCli(base, env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('pass --yes');
    const wrongType = await runCli([...base.slice(0, 7), '22', '--reason-id', 'reason-1', '--yes'], env);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('--reason-id reason-1 is for termination type 1, not 22');
    const staged = await runCli([...base, '--stage-id', 'stage-interview', '--dry-run'], env);
    expect(staged.stderr).toContain('1 active application(s) of job job-1 in stage stage-interview');

    const confirmed = await runCli([...base, '--yes', '--batch', 'stale-1', '--note', 'round closed'], env);
    expect(confirmed.code).toBe(0);
    const work = await startWork(env);
    const report = JSON.parse(
      (await runCli(['batch', 'stale-1', '--wait', '--json'], env)).stdout,
    ) as BatchReport;
    expect(report.counts).toMatchObject({ total: 3, succeeded: 3 });
    expect(
      ['app-3', 'app-4', 'app-5'].map((id) => sandbox.state.applications.get(id)?.termination_reason_note),
    ).toEqual(['round closed', 'round closed', 'round closed']);
    expect(sandbox.state.applications.get('app-2')?.active_status).toBe(1);
    expect(await work.stop()).toBe(143);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
