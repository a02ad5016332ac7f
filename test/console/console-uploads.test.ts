import iconv from 'iconv-lite';
import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import { silentLogger } from '../../src/lib/logger';
import type { HireRuntime } from '../../src/lib/runtime/hire-runtime';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';
import { ConsoleClient, signInOperator } from './console-client';

const ADMIN = 'ou_sandbox_admin';
const OPERATOR = 'ou_sandbox_operator';

/** A multipart body as a browser's form would send it. */
function form(fields: Record<string, string>, file?: { name: string; bytes: Buffer }): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  if (file) body.append('file', new Blob([new Uint8Array(file.bytes)]), file.name);
  return body;
}

interface Preview {
  uploadId: string;
  total: number;
  valid: number;
  invalid: { line: number; errors: string[] }[];
  columns: string[];
  mapping: Record<string, string | null>;
}

describe('the console’s uploads and confirm step (issue 29)', () => {
  let sandbox: TestSandbox;
  let runtime: HireRuntime;
  let prefix: string;
  let running: RunningConsole;
  let operator: ConsoleClient;

  beforeEach(async () => {
    sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 4) } });
    prefix = testPrefix();
    runtime = openRuntime(sandbox, prefix);
    running = await startConsole(
      runtime,
      consoleSettingsFrom(
        { port: 0 },
        { HIRE_CONSOLE_ADMINS: ADMIN, HIRE_CONSOLE_CONFIRM_ROWS: '2', HIRE_CONSOLE_MAX_UPLOAD_MB: '1' },
      ),
      silentLogger,
    );
    ({ operator } = await signInOperator(running.url, ADMIN, OPERATOR));
  });
  afterEach(async () => {
    await running.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });

  const upload = (fields: Record<string, string>, file?: { name: string; bytes: Buffer }) =>
    operator.json<
      Preview & { error?: { code: string; message: string; columns?: string[]; mapping?: object } }
    >('/api/v1/uploads', { method: 'POST', body: form(fields, file) });

  it('reads a GBK CSV with Chinese headers, shows its invalid rows, and confirms the valid ones with the typed count', async () => {
    const csv = ['投递ID,终止类型,终止备注', 'app-1,1,', 'app-2,1,已有备注', 'app-3,9,', 'app-4,1,'].join(
      '\r\n',
    );
    const preview = await upload(
      { operation: 'terminate' },
      { name: '离职名单.csv', bytes: iconv.encode(csv, 'gbk') },
    );
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      total: 4,
      valid: 3,
      columns: ['投递ID', '终止类型', '终止备注'],
      mapping: {
        投递ID: 'application_id',
        终止类型: 'termination_type',
        终止备注: 'termination_reason_note',
      },
    });
    expect(preview.body.invalid).toEqual([{ line: 4, errors: [expect.stringMatching(/termination_type/)] }]);

    // 3 valid rows, above the confirm threshold of 2: the count must be typed.
    const confirm = (extra: object) =>
      operator.json<{ batchId: string; accepted: number; invalid: number; error?: { code: string } }>(
        '/api/v1/batches',
        {
          method: 'POST',
          body: JSON.stringify({ uploadId: preview.body.uploadId, batchId: 'round-7', ...extra }),
        },
      );
    expect(await confirm({})).toMatchObject({ status: 422, body: { error: { code: 'CONFIRM_COUNT' } } });
    expect(await confirm({ confirmCount: 4 })).toMatchObject({ status: 422 });
    const confirmed = await confirm({ confirmCount: 3, note: '招聘季结束' });
    expect(confirmed).toMatchObject({ status: 201, body: { batchId: 'round-7', accepted: 3, invalid: 1 } });

    const batch = await operator.json<{ files: string[]; counts: object; createdBy: object }>(
      '/api/v1/batches/round-7',
    );
    expect(batch.body).toMatchObject({
      files: ['离职名单.csv'],
      counts: { total: 4, pending: 3, invalid: 1 },
      createdBy: { openId: OPERATOR, name: '李娜' },
    });
    // The note fills the rows without one; a row's own note stays.
    const notes: unknown[] = [];
    for await (const chunk of runtime.batches.rowsWithOutcomes('round-7'))
      for (const row of chunk) notes.push(row.input.termination_reason_note);
    expect(notes).toEqual(['招聘季结束', '已有备注', '招聘季结束']);
    // The upload is used up.
    expect((await confirm({ confirmCount: 3 })).status).toBe(404);
    const audit = await operator.json<{ entries: { action: string; actor: { name: string } }[] }>(
      '/api/v1/audit?batchId=round-7',
    );
    expect(audit.body.entries.map((e) => [e.action, e.actor.name])).toEqual([['confirm', '李娜']]);
  });

  it('downloads results as a CSV Excel reads (BOM, no formula runs) and a workbook of text cells, by status', async () => {
    const csv =
      'application_id,termination_type,termination_reason_note\napp-1,1,=1+2\napp-2,1,@SUM(A1)\napp-3,7,\n';
    const preview = await upload({ operation: 'terminate' }, { name: 'notes.csv', bytes: Buffer.from(csv) });
    await operator.json('/api/v1/batches', {
      method: 'POST',
      body: JSON.stringify({ uploadId: preview.body.uploadId, batchId: 'notes' }),
    });
    const res = await operator.fetch('/api/v1/batches/notes/results.csv?status=pending&lang=zh-CN');
    expect(res.headers.get('content-disposition')).toContain('notes-unprocessed.csv');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trim().split('\n');
    expect(lines[0]).toBe(
      'application_id,termination_type,termination_reason_list,termination_reason_note,if_not_updated_since,job_id,file,line,status,code,message,meaning',
    );
    expect(lines.slice(1)).toEqual([
      "app-1,1,,'=1+2,,,notes.csv,2,pending,,,",
      "app-2,1,,'@SUM(A1),,,notes.csv,3,pending,,,",
    ]);
    const workbook = await operator.fetch('/api/v1/batches/notes/results.xlsx?status=invalid');
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await workbook.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(2);
    const cells: unknown[] = [];
    sheet
      .getRow(2)
      .eachCell((cell) => cells.push(cell.type === ExcelJS.ValueType.String ? 'text' : cell.value));
    expect(new Set(cells)).toEqual(new Set(['text']));
    expect(sheet.getRow(2).getCell(1).value).toBe('app-3');
  });

  it('lists a job’s stale applications as terminate rows and asks the termination type at confirm', async () => {
    const stale = await operator.json<Preview & { stale: { jobId: string; listedMs: number } }>(
      '/api/v1/uploads/stale',
      { method: 'POST', body: JSON.stringify({ jobId: 'job-1', olderThanDays: 25 }) },
    );
    // The fixture's applications were last moved 10, 20, 30, ... days ago: 30 and 40 are stale.
    expect(stale.body).toMatchObject({ total: 2, valid: 2, stale: { jobId: 'job-1' } });
    expect(stale.body.stale.listedMs).toBeGreaterThanOrEqual(0);
    const confirm = (extra: object) =>
      operator.json<{ error?: { code: string } }>('/api/v1/batches', {
        method: 'POST',
        body: JSON.stringify({ uploadId: stale.body.uploadId, batchId: 'stale-1', ...extra }),
      });
    expect((await confirm({})).body.error?.code).toBe('TERMINATION_TYPE_REQUIRED');
    expect((await confirm({ terminationType: 22 })).status).toBe(201);
    const inputs: unknown[] = [];
    for await (const chunk of runtime.batches.rowsWithOutcomes('stale-1'))
      for (const row of chunk) inputs.push(row.input);
    expect(inputs).toEqual([
      expect.objectContaining({ application_id: 'app-3', termination_type: 22, job_id: 'job-1' }),
      expect.objectContaining({ application_id: 'app-4', termination_type: 22, job_id: 'job-1' }),
    ]);
    expect((inputs[0] as { if_not_updated_since: number }).if_not_updated_since).toBeGreaterThan(0);
    expect(
      (
        await operator.json('/api/v1/uploads/stale', {
          method: 'POST',
          body: JSON.stringify({ jobId: 'job-1' }),
        })
      ).status,
    ).toBe(422);
  });

  it('counts rows without a termination type as the type chosen at confirm will make them: the count confirmed is the count written', async () => {
    const csv = 'application_id,termination_type\napp-1,1\napp-2,\napp-3,9\n';
    const preview = await upload({ operation: 'terminate' }, { name: 'types.csv', bytes: Buffer.from(csv) });
    expect(preview.body).toMatchObject({ total: 3, valid: 2, rowsWithoutType: 1 });
    const confirm = (extra: object) =>
      operator.json<{ accepted: number; error?: { code: string } }>('/api/v1/batches', {
        method: 'POST',
        body: JSON.stringify({ uploadId: preview.body.uploadId, batchId: 'types', ...extra }),
      });
    expect((await confirm({})).body.error?.code).toBe('TERMINATION_TYPE_REQUIRED');
    expect((await confirm({ terminationType: 27 })).body).toMatchObject({ accepted: 2 });
  });

  it('asks for a mapping when required columns are not recognised, and takes the one chosen', async () => {
    const csv = 'Application,How,Remark\napp-1,1,x\n';
    const unmapped = await upload({ operation: 'terminate' }, { name: 'sheet.csv', bytes: Buffer.from(csv) });
    expect(unmapped.status).toBe(422);
    expect(unmapped.body.error).toMatchObject({
      code: 'MAPPING_NEEDED',
      columns: ['Application', 'How', 'Remark'],
      mapping: { Application: null, How: null, Remark: null },
    });
    expect(unmapped.body.error!.message).toContain('sheet.csv');
    const mapping = { Application: 'application_id', How: 'termination_type', Remark: null };
    const mapped = await upload(
      { operation: 'terminate', mapping: JSON.stringify(mapping) },
      { name: 'sheet.csv', bytes: Buffer.from(csv) },
    );
    expect(mapped.body).toMatchObject({ total: 1, valid: 1, mapping });
    // The same header again: the mapping chosen is offered.
    const again = await upload({ operation: 'terminate' }, { name: 'sheet-2.csv', bytes: Buffer.from(csv) });
    expect(again.body.error).toMatchObject({ code: 'MAPPING_NEEDED', mapping, saved: true });
  });

  it('refuses an oversized file (413), a file that is not what its name says, and a viewer', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const tooLarge = await upload({ operation: 'terminate' }, { name: 'big.csv', bytes: big });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
    const fake = await upload(
      { operation: 'create' },
      { name: 'people.xlsx', bytes: Buffer.from('talent_id,job_id\n') },
    );
    expect(fake.status).toBe(422);
    expect(fake.body.error!.message).toContain('people.xlsx');
    expect((await upload({ operation: 'delete' }, { name: 'a.csv', bytes: Buffer.from('x') })).status).toBe(
      422,
    );
    const viewer = new ConsoleClient(running.url);
    await viewer.signInAs('ou_sandbox_viewer');
    const refused = await viewer.json('/api/v1/uploads', {
      method: 'POST',
      body: form({ operation: 'create' }),
    });
    expect(refused.status).toBe(403);
  });
});
