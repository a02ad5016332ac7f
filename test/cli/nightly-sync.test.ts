import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import { generatedIds } from '../../src/sandbox/hire-state';
import { runCli } from '../helpers/cli';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const dir = mkdtempSync(join(tmpdir(), 'hq-sync-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const results = (path: string) =>
  parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];

describe('nightly syncs', () => {
  it('runs the same file two nights: the second is all alreadyDone with the first ids, makes no create call, recreates nothing a recruiter closed', async () => {
    const sandbox = await openSandbox({
      config: { generate: { talents: 20, jobs: 1, employees: 0, applications: 0, maxAgeDays: 1 } },
    });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const job = generatedIds.job(1);
    const rows = Array.from({ length: 20 }, (_, i) => `${generatedIds.talent(i + 1)},${job}`);
    const sync = file('sync.csv', `talent_id,job_id\n${rows.join('\n')}\n`);
    const night = (n: number) =>
      runCli(
        [
          'run',
          'create',
          '--file',
          sync,
          '--skip-created',
          '--existing',
          'adopt',
          '--json',
          '--results',
          join(dir, `night-${n}.csv`),
        ],
        env,
      );

    const first = await night(1);
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as BatchReport).counts).toMatchObject({ total: 20, succeeded: 20 });
    const firstIds = results(join(dir, 'night-1.csv')).map((r) => r.application_id);
    expect(new Set(firstIds).size).toBe(20);
    // A recruiter closes one of them in Feishu during the day.
    sandbox.touchApplication(firstIds[3]!, { active: false });
    const createCallsAfterFirstNight = sandbox.stats().endpoints.create.calls;

    const second = await night(2);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as BatchReport;
    expect(report.counts).toMatchObject({ total: 20, succeeded: 0, alreadyDone: 20, deadLettered: 0 });
    const secondRows = results(join(dir, 'night-2.csv'));
    expect(secondRows.map((r) => r.application_id)).toEqual(firstIds);
    expect(secondRows.every((r) => r.status === 'alreadyDone')).toBe(true);
    expect(sandbox.stats().endpoints.create.calls).toBe(createCallsAfterFirstNight);
    const closed = sandbox.state.applications.get(firstIds[3]!)!;
    const activeForThatTalent = [...sandbox.state.applications.values()].filter(
      (a) => a.talent_id === closed.talent_id && a.active_status === 1,
    );
    expect(activeForThatTalent).toHaveLength(0);

    // The ledger moves between prefixes (or is seeded from another system) as NDJSON.
    const exported = join(dir, 'ledger.ndjson');
    expect((await runCli(['ledger', 'export', '--out', exported], env)).code).toBe(0);
    expect(readFileSync(exported, 'utf8').trim().split('\n')).toHaveLength(20);
    const otherPrefix = testPrefix();
    const otherEnv = testEnv(sandbox, otherPrefix);
    const imported = await runCli(['ledger', 'import', '--file', exported], otherEnv);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain('20 entries imported, 0 invalid');
    const third = await runCli(['run', 'create', '--file', sync, '--skip-created', '--json'], otherEnv);
    expect(third.code).toBe(0);
    expect((JSON.parse(third.stdout) as BatchReport).counts.alreadyDone).toBe(20);
    expect(sandbox.stats().endpoints.create.calls).toBe(createCallsAfterFirstNight);
    await openRedis(prefix).closeAndClean();
    await openRedis(otherPrefix).closeAndClean();
    await sandbox.close();
  });

  it('adopts applications that existed before the first night with --existing adopt', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    // talent-busy already has app-1 on job-1; talent-free has nothing.
    const sync = file('adopt.csv', 'talent_id,job_id\ntalent-busy,job-1\ntalent-free,job-1\n');
    const adopted = await runCli(
      [
        'run',
        'create',
        '--file',
        sync,
        '--existing',
        'adopt',
        '--json',
        '--results',
        join(dir, 'adopt.csv.out.csv'),
      ],
      env,
    );
    expect(adopted.code).toBe(0);
    const rows = results(join(dir, 'adopt.csv.out.csv'));
    expect(rows.map((r) => [r.talent_id, r.status])).toEqual([
      ['talent-busy', 'alreadyDone'],
      ['talent-free', 'succeeded'],
    ]);
    expect(rows[0]?.application_id).toBe('app-1');
    // Without adopt a duplicate stays a dead letter, as before.
    const strictSync = file('dup.csv', 'talent_id,job_id\ntalent-busy,job-1\n');
    expect((await runCli(['run', 'create', '--file', strictSync], env)).code).toBe(3);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('close-outs that respect a recruiter', () => {
  it('skips stale applications someone moved after the listing, terminating the rest', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 10) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const listed = await runCli(
      [
        'enqueue',
        'stale',
        '--job-id',
        'job-1',
        '--older-than',
        '5d',
        '--termination-type',
        '1',
        '--yes',
        '--batch',
        'close',
      ],
      env,
    );
    expect(listed.code).toBe(0);
    // Between the listing and the workers, a recruiter moves three candidates forward.
    for (const id of ['app-2', 'app-5', 'app-9']) sandbox.touchApplication(id);
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'] }, prefix);
    await fleet.waitForBatch('close');
    const out = join(dir, 'close.csv');
    const report = await runCli(['batch', 'close', '--json', '--results', out], env);
    expect(report.code).toBe(0);
    expect((JSON.parse(report.stdout) as BatchReport).counts).toMatchObject({
      total: 10,
      succeeded: 7,
      skipped: 3,
    });
    const skipped = results(out).filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => r.application_id).sort()).toEqual(['app-2', 'app-5', 'app-9']);
    expect(skipped[0]?.message).toMatch(/updated .*after .*someone moved it/);
    for (const id of ['app-2', 'app-5', 'app-9'])
      expect(sandbox.state.applications.get(id)?.active_status).toBe(1);
    expect(sandbox.state.applications.get('app-1')?.active_status).toBe(2);
    expect(sandbox.stats().endpoints.terminate.calls).toBe(7);
    await fleet.close();
    await sandbox.close();
  });

  it('applies --if-not-updated-since to every row of a terminate file', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const since = new Date(Date.now() - 60_000).toISOString();
    sandbox.touchApplication('app-2');
    const close = file('guarded.csv', 'application_id,termination_type\napp-1,1\napp-2,1\n');
    const run = await runCli(
      ['run', 'terminate', '--file', close, '--if-not-updated-since', since, '--json'],
      testEnv(sandbox, prefix),
    );
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as BatchReport).counts).toMatchObject({ succeeded: 1, skipped: 1 });
    expect(sandbox.state.applications.get('app-2')?.active_status).toBe(1);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('input as people have it', () => {
  const note = '面试后不合适';
  const gbkFile = () =>
    file(
      'gbk.csv',
      iconv.encode(`application_id,termination_type,termination_reason_note\napp-1,27,${note}\n`, 'gbk'),
    );

  it('refuses a GBK file without --encoding, naming the flag and gb18030, and reads it with one', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const refused = await runCli(['enqueue', 'terminate', '--file', gbkFile()], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /not valid UTF-8 \(near line 2\).*--encoding NAME, e\.g\. --encoding gb18030/,
    );
    const run = await runCli(['run', 'terminate', '--file', gbkFile(), '--encoding', 'gbk'], env);
    expect(run.code).toBe(0);
    expect(sandbox.state.applications.get('app-1')?.termination_reason_note).toBe(note);
    const unknown = await runCli(['enqueue', 'terminate', '--file', gbkFile(), '--encoding', 'klingon'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--encoding "klingon" is not an encoding/);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('rejects ids holding / or spaces as invalid rows naming the field, before any call, and says so in JSON', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const bad = file(
      'ids.csv',
      'application_id,termination_type\napp-1/terminate,1\napp 2,1\napp-3?x=1,1\napp-3,1\n',
    );
    const enqueued = await runCli(['enqueue', 'terminate', '--file', bad, '--json', '--batch', 'ids'], env);
    expect(enqueued.code).toBe(3);
    expect(JSON.parse(enqueued.stdout)).toEqual({
      batchId: 'ids',
      operation: 'terminate',
      total: 4,
      accepted: 1,
      alreadyQueued: 0,
      alreadyDone: 0,
      enqueued: true,
      invalid: [2, 3, 4].map((line) => ({
        line,
        errors: ['application_id must not contain whitespace, /, ?, #, % or control characters'],
      })),
    });
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'] }, prefix);
    await fleet.waitForBatch('ids');
    expect(sandbox.stats().endpoints.terminate.calls).toBe(1);
    await fleet.close();
    await sandbox.close();
  });
});
