import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { inputDir } from '../helpers/files';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('sources');
const terminations = (ids: string[]) =>
  `application_id,termination_type\n${ids.map((id) => `${id},1`).join('\n')}\n`;
const results = (path: string) =>
  parse(readFileSync(path), { columns: true, bom: true }) as Record<string, string>[];

describe('a batch fed from several files (issue 27, findings 1–3)', () => {
  it('calls every row of two files once, reports each with its file and line, and treats an edited row as a new one', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 9) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const fa = files.write('fa.csv', terminations(['app-1', 'app-2', 'app-3']));
    const fb = files.write('fb.csv', terminations(['app-4', 'app-5', 'app-6', 'app-7']));

    const first = await runCli(['enqueue', 'terminate', '--file', fa, '--batch', 'fleet1', '--json'], env);
    expect(JSON.parse(first.stdout)).toMatchObject({ accepted: 3, enqueued: true });
    const out = join(files.dir, 'fleet1.csv');
    const run = await runCli(
      ['run', 'terminate', '--file', fb, '--batch', 'fleet1', '--json', '--results', out],
      env,
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as BatchReport;
    expect(report.counts).toMatchObject({ total: 7, succeeded: 7, pending: 0 });
    expect(sandbox.stats().endpoints.terminate.calls).toBe(7);
    expect(results(out).map((r) => [r.file, r.line, r.application_id, r.status])).toEqual([
      [fa, '2', 'app-1', 'succeeded'],
      [fa, '3', 'app-2', 'succeeded'],
      [fa, '4', 'app-3', 'succeeded'],
      [fb, '2', 'app-4', 'succeeded'],
      [fb, '3', 'app-5', 'succeeded'],
      [fb, '4', 'app-6', 'succeeded'],
      [fb, '5', 'app-7', 'succeeded'],
    ]);

    // The same file again: nothing called twice, and nothing said to be enqueued.
    const again = await runCli(['enqueue', 'terminate', '--file', fa, '--batch', 'fleet1', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 3, accepted: 0, alreadyDone: 3 });
    const said = await runCli(['enqueue', 'terminate', '--file', fa, '--batch', 'fleet1'], env);
    expect(said.stderr).toContain('3 rows read, 0 enqueued, 3 already done in this batch');

    // Line 4 of fb edited: a new row; the old one keeps its outcome under its old input.
    const edited = files.write('fb.csv', terminations(['app-4', 'app-5', 'app-8', 'app-7']));
    const rerun = await runCli(
      ['run', 'terminate', '--file', edited, '--batch', 'fleet1', '--json', '--results', out],
      env,
    );
    expect(rerun.code).toBe(0);
    expect(sandbox.stats().endpoints.terminate.calls).toBe(8);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ counts: { total: 8, succeeded: 8 } });
    expect(
      results(out)
        .filter((r) => r.file === fb && r.line === '4')
        .map((r) => r.application_id),
    ).toEqual(['app-6', 'app-8']);
    const status = await runCli(['batch', 'fleet1'], env);
    expect(status.stdout).toContain('8 rows: 8 succeeded');
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('counts a row fixed in another file once per file and line, the same in the report, progress and results', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const x = files.write('X.csv', 'application_id,termination_type\napp-1,1\n"app 2",1\n');
    const y = files.write('Y.csv', 'application_id,termination_type\napp-1,1\napp-2,1\n');
    for (const path of [x, y, x])
      await runCli(['enqueue', 'terminate', '--file', path, '--batch', 'dc1', '--json'], env);
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'] }, prefix);
    await fleet.waitForBatch('dc1');
    const out = join(files.dir, 'dc1.csv');
    const report = await runCli(['batch', 'dc1', '--json', '--results', out], env);
    // Y:2 holds X:2's input: reported on its own line, its call shared with X:2. X:3 stays invalid
    // (X was run again last); Y:3 is its own row.
    expect(JSON.parse(report.stdout)).toMatchObject({
      counts: { total: 4, succeeded: 3, invalid: 1, pending: 0 },
    });
    expect(sandbox.stats().endpoints.terminate.calls).toBe(2);
    expect(results(out).map((r) => [r.file, r.line, r.status])).toEqual([
      [x, '2', 'succeeded'],
      [x, '3', 'invalid'],
      [y, '2', 'succeeded'],
      [y, '3', 'succeeded'],
    ]);
    // The list of batches as JSON, with the same counts (finding 14).
    const listed = JSON.parse((await runCli(['batch', '--json'], env)).stdout) as { batches: unknown[] };
    expect(listed.batches).toEqual([
      expect.objectContaining({ batchId: 'dc1', state: 'finished', rows: 4, jobs: 2, done: 2 }),
    ]);
    const progress = await runCli(['status', '--json'], env);
    expect(JSON.parse(progress.stdout)).toMatchObject({
      batches: expect.arrayContaining([
        expect.objectContaining({ batchId: 'dc1', rows: 4, jobs: 2, done: 2 }),
      ]),
    });
    await fleet.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('dlq replay --into (issue 27, finding 2)', () => {
  it('runs every letter it takes off the queue, each under its original file and line', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const mix = files.write('mix.csv', terminations(['app-1', 'ghost-1', 'app-2', 'ghost-2']));
    const first = await runCli(['run', 'terminate', '--file', mix, '--batch', 'mix1', '--json'], env);
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout)).toMatchObject({ counts: { succeeded: 2, deadLettered: 2 } });
    // The applications appear in Feishu (a recruiter fixed them): the replay must call both.
    for (const id of ['ghost-1', 'ghost-2'])
      sandbox.state.applications.set(id, {
        ...sandbox.state.applications.get('app-3')!,
        id,
      });
    const before = sandbox.stats().endpoints.terminate.calls;
    const firstEnd = (JSON.parse(first.stdout) as BatchReport).finishedAt!;
    const replay = await runCli(['dlq', 'replay', '--batch', 'mix1', '--into', 'mix1', '--json'], env);
    expect(JSON.parse(replay.stdout)).toMatchObject({ accepted: 2, enqueued: true, kept: [] });
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'] }, prefix);
    await fleet.waitForBatch('mix1');
    expect(sandbox.stats().endpoints.terminate.calls - before).toBe(2);
    // The letters' own rows ran again: each row is reported once, with its last outcome.
    const report = JSON.parse((await runCli(['batch', 'mix1', '--json'], env)).stdout) as BatchReport;
    expect(report.counts).toMatchObject({ total: 4, succeeded: 4, deadLettered: 0 });
    // Reopened by the replay, the batch ended again later.
    expect(Date.parse(report.finishedAt!)).toBeGreaterThan(Date.parse(firstEnd));
    const rows = join(files.dir, 'mix1.ndjson');
    await runCli(['batch', 'mix1', '--results', rows], env);
    const lines = readFileSync(rows, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines.filter((r) => r.application_id === 'ghost-1').map((r) => [r.file, r.line, r.status]),
    ).toEqual([[mix, 3, 'succeeded']]);
    expect((await runCli(['dlq', 'list', '--batch', 'mix1'], env)).stderr).toContain('0 dead letter(s)');
    await fleet.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('a batch lost mid-run (issue 27, finding 4)', () => {
  it('drops its orphan jobs as lost under the batch, never as empty dead letters', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 5) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const path = files.write('lost.csv', terminations(['app-1', 'app-2', 'app-3', 'app-4']));
    await runCli(['enqueue', 'terminate', '--file', path, '--batch', 'gone1'], env);
    const redis = openRedis(prefix);
    const batchKeys = await redis.keys(`${prefix}:batch:*gone1*`);
    expect(batchKeys.length).toBeGreaterThan(0);
    await redis.del(...batchKeys);
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'] }, prefix);
    const { runtime } = fleet;
    await new Promise<void>((resolve) => {
      let completed = 0;
      for (const worker of fleet.workers.workers)
        worker.on('completed', () => ++completed === 4 && resolve());
    });
    expect(await runtime.batches.lostBatches()).toEqual({ gone1: 4 });
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    expect(await runtime.queues.deadLetter.count()).toBe(0);
    const status = await runCli(['status'], env);
    expect(status.stdout).toMatch(/lost batches.*\n\s+gone1\s+4 job\(s\) dropped/);
    await fleet.close();
    await redis.closeAndClean();
    await sandbox.close();
  });
});
