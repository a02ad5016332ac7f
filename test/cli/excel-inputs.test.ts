import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { runCli } from '../helpers/cli';
import { inputDir } from '../helpers/files';
import { openRedis, TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('excel');

interface DryRun {
  batchId: string;
  operation: string;
  total: number;
  accepted: number;
  invalid: { line: number; errors: string[] }[];
}

/** A dry run reads the file and nothing else: no Feishu, no Redis. */
const offline = {
  FEISHU_BASE_URL: 'http://127.0.0.1:9',
  FEISHU_APP_ID: 'cli_offline',
  FEISHU_APP_SECRET: 'offline',
  REDIS_URL: 'redis://127.0.0.1:9',
};

/** `enqueue OPERATION --file PATH --dry-run --json`, as a user checks a file before sending it. */
async function dryRun(operation: string, path: string): Promise<DryRun> {
  const run = await runCli(['enqueue', operation, '--file', path, '--dry-run', '--json'], offline);
  // One JSON object, the documented summary, not rows.
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as DryRun;
}

describe('files as Excel leaves them (issue 27, findings 7–9, 14)', () => {
  it('refuses ids in scientific notation, naming the column and the fix', async () => {
    const path = files.write(
      'sci.csv',
      'talent_id,job_id\n7.00000000000000E+18,6.8E+18\ntalent-free,job-1\n',
    );
    const checked = await dryRun('create', path);
    expect(checked).toMatchObject({ total: 2, accepted: 1 });
    expect(checked.invalid).toEqual([
      {
        line: 2,
        errors: [
          expect.stringMatching(
            /^talent_id looks like Excel's scientific notation.*format the column as text/,
          ),
          expect.stringMatching(/^job_id looks like Excel's scientific notation/),
        ],
      },
    ]);
  });

  it("takes Excel's empty trailing columns and cells, 1.0 for 1, Chinese headers, and UTF-16 with its mark", async () => {
    expect(
      await dryRun('create', files.write('h.csv', 'talent_id,job_id,,\nt1,j1,,\nt2,j2\n')),
    ).toMatchObject({
      total: 2,
      accepted: 2,
    });
    expect(await dryRun('create', files.write('c.csv', 'talent_id,job_id\nt1,j1,\nt2,j2,x\n'))).toMatchObject(
      {
        accepted: 1,
        invalid: [{ line: 3, errors: ['3 cells but the header has 2 columns'] }],
      },
    );
    expect(
      await dryRun(
        'terminate',
        files.write('t.csv', '投递 ID,终止类型,终止备注\napp-1,1.0,已关闭\napp-2,22,\n'),
      ),
    ).toMatchObject({ total: 2, accepted: 2, invalid: [] });
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      iconv.encode(
        'application_id,termination_type,termination_reason_note\napp-1,1,候选人已入职\n',
        'utf16le',
      ),
    ]);
    expect(await dryRun('terminate', files.write('u16.csv', utf16))).toMatchObject({ accepted: 1 });
  });

  it("reads Excel's text formula, refuses an id written as a float, and names UTF-16 without its mark and tab-separated text", async () => {
    const ids = files.write(
      'formula.csv',
      [
        'application_id,termination_type',
        '"=""7300000000000000027""",1',
        '7300000000000000027.0,1',
        "'7300000000000000028,1",
      ].join('\n'),
    );
    const checked = await dryRun('terminate', ids);
    expect(checked).toMatchObject({ total: 3, accepted: 2 });
    expect(checked.invalid).toEqual([
      {
        line: 3,
        errors: [expect.stringMatching(/^application_id looks like a number with a decimal point/)],
      },
    ]);
    const noMark = files.write(
      'u16-nomark.csv',
      iconv.encode('application_id,termination_type\napp-1,1\n', 'utf16le'),
    );
    const refused = await runCli(['enqueue', 'terminate', '--file', noMark, '--dry-run'], offline);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--encoding utf16le');
    const tabs = files.write('tabs.csv', 'application_id\ttermination_type\napp-1\t1\n');
    const tabbed = await runCli(['enqueue', 'terminate', '--file', tabs, '--dry-run'], offline);
    expect(tabbed.code).toBe(2);
    expect(tabbed.stderr).toContain('separated by tabs');
  });

  it('reports a record spanning lines at the line it starts on', async () => {
    const path = files.write(
      'm.csv',
      'application_id,termination_type,termination_reason_note\n"app 1",1,"line one\nline two"\n',
    );
    expect((await dryRun('terminate', path)).invalid).toEqual([
      { line: 2, errors: [expect.stringMatching(/^application_id/)] },
    ]);
  });

  it('says what is wrong with a value of the wrong type or length, not that it is missing', async () => {
    const path = files.write(
      'types.ndjson',
      [
        { application_id: 'app-1', termination_type: 1, termination_reason_note: 5 },
        { application_id: 'app-1', termination_type: 1, termination_reason_list: ['CT_1', 2] },
        { application_id: 'app-1', termination_type: 1, termination_reason_note: 'x'.repeat(10_240) },
        { termination_type: 1 },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    expect((await dryRun('terminate', path)).invalid.map((row) => row.errors)).toEqual([
      ['termination_reason_note must be text, got a number'],
      ['termination_reason_list.1: must be text, got a number'],
      ['termination_reason_note must be at most 2,000 characters, got 10,240'],
      ['application_id: required'],
    ]);
    // A close-out's cutoff: seconds for milliseconds, a date in the future, a US date.
    const cutoffs = files.write(
      'cutoffs.csv',
      'application_id,termination_type,if_not_updated_since\napp-1,1,1793947549\napp-2,1,2030-01-01\napp-3,1,1/2/2026\napp-4,1,2026-11-01\n',
    );
    expect((await dryRun('terminate', cutoffs)).invalid.map((row) => [row.line, row.errors[0]])).toEqual([
      [2, expect.stringContaining('looks like seconds, not milliseconds')],
      [3, expect.stringContaining('is in the future')],
      [4, expect.stringContaining('must be a millisecond timestamp or an ISO time')],
    ]);
    const create = files.write('talent.ndjson', '{"talent_id":123,"job_id":"job-1"}\n');
    expect((await dryRun('create', create)).invalid[0]!.errors).toEqual([
      'talent_id must be text, got a number',
    ]);
    const ledger = files.write(
      'ledger.ndjson',
      '{"talent_id":"t","job_id":"j","application_id":"a","at":"yesterday"}\n',
    );
    const prefix = testPrefix();
    const imported = await runCli(['ledger', 'import', '--file', ledger], {
      ...offline,
      REDIS_URL: TEST_REDIS_URL,
      HIRE_QUEUE_PREFIX: prefix,
    });
    expect(imported.stderr + imported.stdout).toContain('at: must be a number, got text');
    await openRedis(prefix).closeAndClean();
  });

  it('writes results people open in Excel (.xlsx, every cell text) and takes them back as input', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const input = files.write(
      'close.csv',
      'application_id,termination_type,termination_reason_note\napp-2,1,"=HYPERLINK(""x"")"\n',
    );
    const out = join(files.dir, 'close-results.xlsx');
    const run = await runCli(['run', 'terminate', '--file', input, '--batch', 'xl1', '--results', out], env);
    expect(run.code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    const sheet = book.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual([
      'application_id',
      'termination_type',
      'termination_reason_list',
      'termination_reason_note',
      'if_not_updated_since',
      'job_id',
      'file',
      'line',
      'status',
      'code',
      'message',
    ]);
    const row = sheet.getRow(2);
    expect(row.getCell(1).value).toBe('app-2');
    expect(row.getCell(2).value).toBe('1');
    expect(row.getCell(4).value).toBe('=HYPERLINK("x")');
    expect(row.getCell(4).formula).toBeUndefined();
    expect(row.getCell(9).value).toBe('succeeded');
    // The workbook, and a CSV of the same results, go back in as input.
    expect(await dryRun('terminate', out)).toMatchObject({ total: 1, accepted: 1 });
    const csv = join(files.dir, 'close-results.csv');
    await runCli(['batch', 'xl1', '--results', csv], env);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe(
      'application_id,termination_type,termination_reason_list,termination_reason_note,if_not_updated_since,job_id,file,line,status,code,message',
    );
    expect(await dryRun('terminate', csv)).toMatchObject({ total: 1, accepted: 1 });
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('says in --help every results format it writes', async () => {
    const help = await runCli(['run', 'terminate', '--help'], offline);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      '--results <file> write one line per input row with its status (.csv, .ndjson, .json, or .xlsx for Excel)',
    );
  });

  it('refuses a workbook id Excel stored as a number', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('ids');
    sheet.addRow(['talent_id', 'job_id']);
    sheet.addRow([7_000_000_000_000_000_000, 'job-1']);
    sheet.addRow(['talent-free', 'job-1']);
    // A blank cell between filled ones (spreadsheet tools leave it out of the file), and one after.
    sheet.getCell('D1').value = 'user_id';
    sheet.getCell('A4').value = 'talent-other';
    sheet.getCell('B4').value = 'job-1';
    sheet.getCell('A5').value = 'talent-bound';
    sheet.getCell('D5').value = 'emp-a';
    sheet.getCell('B5').value = 'job-2';
    const path = join(files.dir, 'ids.xlsx');
    await book.xlsx.writeFile(path);
    const checked = await dryRun('create', path);
    expect(checked).toMatchObject({ total: 4, accepted: 3 });
    expect(checked.invalid[0]).toMatchObject({
      line: 2,
      errors: [expect.stringContaining('scientific notation')],
    });
  });
});
