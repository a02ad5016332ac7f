import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const dir = mkdtempSync(join(tmpdir(), 'hq-cli-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('hire-queue run', () => {
  it('runs a create batch start to finish: JSON report, exit 3, results file matching the sandbox row by row', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const input = file(
      'sync.csv',
      [
        'talent_id,job_id,resume_source_id,application_preferred_city_code_list,delivery_type',
        'talent-free,job-2,src-normal,CN_1|CN_2,1',
        'talent-other,job-2,,,2',
        'talent-busy,job-1,,,1',
        'talent-ghost,job-1,,,1',
        'talent-free,job-3,,,seven',
      ].join('\n'),
    );
    const results = join(dir, 'results.csv');
    const run = await runCli(
      ['run', 'create', '--file', input, '--json', '--results', results, '--batch', 'nightly-1'],
      testEnv(sandbox, prefix),
    );
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as BatchReport;
    expect(report).toMatchObject({
      batchId: 'nightly-1',
      operation: 'create',
      counts: { total: 5, succeeded: 2, alreadyDone: 0, deadLettered: 2, invalid: 1, pending: 0 },
      elapsedMs: expect.any(Number),
      invalid: [{ line: 6, errors: [expect.stringContaining('delivery_type')] }],
    });
    expect(report.deadLetters).toEqual([
      expect.objectContaining({
        line: 4,
        code: '1002206',
        input: { talent_id: 'talent-busy', job_id: 'job-1', delivery_type: 1 },
        logId: expect.any(String),
      }),
      expect.objectContaining({ line: 5, code: '1002102', message: 'talent not exist' }),
    ]);

    const rows = parse(readFileSync(results), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.line, r.status])).toEqual([
      ['2', 'succeeded'],
      ['3', 'succeeded'],
      ['4', 'deadLettered'],
      ['5', 'deadLettered'],
      ['6', 'invalid'],
    ]);
    for (const row of rows.filter((r) => r.status === 'succeeded')) {
      const application = sandbox.state.applications.get(row.application_id!);
      expect(application).toMatchObject({ talent_id: row.talent_id, job_id: row.job_id, active_status: 1 });
    }
    expect(rows[0]!.application_preferred_city_code_list).toBe('CN_1|CN_2');
    expect(rows[2]).toMatchObject({ code: '1002206' });
    expect(sandbox.stats().applications.total).toBe(5);

    // The same report, from another process, by batch id.
    const again = await runCli(['batch', 'nightly-1', '--json'], testEnv(sandbox, prefix));
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout)).toEqual(report);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('exits 0 when every terminate succeeded or was already done (NDJSON from stdin)', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    sandbox.state.applications.get('app-3')!.active_status = 2;
    const prefix = testPrefix();
    const ndjson = [
      '{"application_id":"app-1","termination_type":1}',
      '{"application_id":"app-3","termination_type":"22"}',
    ].join('\n');
    const run = await runCli(['run', 'terminate', '--file', '-', '--json'], testEnv(sandbox, prefix), ndjson);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      counts: { total: 2, succeeded: 1, alreadyDone: 1, deadLettered: 0, invalid: 0, pending: 0 },
    });
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('malformed input files', () => {
  const cases: [string, string | Buffer, string, number, RegExp][] = [
    [
      'wrong header',
      'talentid,job_id\nx,y\n',
      'bad-header.csv',
      2,
      /wrong header for create: unknown column\(s\) talentid; missing column\(s\) talent_id/,
    ],
    ['empty file', '', 'empty.csv', 2, /no rows to enqueue/],
    ['header only', 'talent_id,job_id\n', 'header-only.csv', 2, /no rows to enqueue/],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from('talent_id,job_id\n'), Buffer.from([0xff, 0xfe, 0x2c, 0x61, 0x0a])]),
      'latin.csv',
      2,
      /not valid UTF-8 \(near line 2\)/,
    ],
    ['broken JSON array', '[{"talent_id":"a","job_id":"b"},', 'broken.json', 2, /not a valid JSON array/],
    ['no such file', '', '', 2, /no such file/],
  ];

  it.each(cases)('%s: exit %#', async (_what, content, name, code, message) => {
    const path = name ? file(name, content) : join(dir, 'missing.csv');
    const result = await runCli(['enqueue', 'create', '--file', path, '--dry-run'], {});
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports wrong types, broken NDJSON lines and a 2 MB line by line and field, and enqueues the rest', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const path = file(
      'mixed.ndjson',
      [
        '{"talent_id":"t1","job_id":"j1"}',
        '{"talent_id":"t2","job_id":"j1","delivery_type":"abc"}',
        '{"talent_id":"t3",',
        `{"talent_id":"${big}","job_id":"j1"}`,
        '{"talent_id":5,"job_id":"j1","extra":1}',
        '{"talent_id":"t6","job_id":"j1"}',
      ].join('\n'),
    );
    const result = await runCli(['enqueue', 'create', '--file', path, '--dry-run'], {});
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('6 rows read, 2 would enqueue, 4 invalid');
    expect(result.stderr).toMatch(
      /line 2: delivery_type: delivery_type must be 1|line 2: delivery_type must be 1/,
    );
    expect(result.stderr).toMatch(/line 3: not valid JSON/);
    expect(result.stderr).toMatch(/line 4: row longer than 1048576 bytes/);
    expect(result.stderr).toMatch(
      /line 5: .*unknown field\(s\): extra.*|line 5: .*talent_id must be a string/,
    );
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { line: number }).line),
    ).toEqual([1, 6]);
  });

  it('handles a 2 MB row in a CSV the same way', async () => {
    const path = file('big.csv', `talent_id,job_id\nt1,j1\n"${'y'.repeat(2 * 1024 * 1024)}",j1\nt3,j1\n`);
    const result = await runCli(['enqueue', 'create', '--file', path, '--dry-run'], {});
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/longer than 1048576 bytes/);
    expect(result.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('--strict enqueues nothing when a row is bad (exit 2), and all rows when none is', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const bad = file('strict.csv', 'application_id,termination_type\napp-1,1\napp-2,4\n');
    const rejected = await runCli(['run', 'terminate', '--file', bad, '--strict'], testEnv(sandbox, prefix));
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/line 3: termination_type.*1 \(we rejected\), 22/);
    expect(rejected.stderr).toMatch(/--strict: nothing was enqueued/);
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    const good = file('strict-ok.csv', 'application_id,termination_type\napp-1,1\napp-2,27\n');
    const accepted = await runCli(
      ['run', 'terminate', '--file', good, '--strict', '--json'],
      testEnv(sandbox, prefix),
    );
    expect(accepted.code).toBe(0);
    expect(sandbox.stats().endpoints.terminate.successes).toBe(2);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
