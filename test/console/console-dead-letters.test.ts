import ExcelJS from 'exceljs';
import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import { silentLogger } from '../../src/lib/logger';
import { openFleet, type Fleet } from '../helpers/workers';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';
import { ConsoleClient } from './console-client';

interface Groups {
  groups: {
    code: string;
    meaning: string;
    count: number;
    rows: { line: number; input: { application_id: string } }[];
  }[];
}

describe('dead letters fixed in the console (issue 30, first part)', () => {
  let sandbox: TestSandbox;
  let fleet: Fleet;
  let running: RunningConsole;

  beforeEach(async () => {
    sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 4) } });
    fleet = await openFleet(sandbox);
    running = await startConsole(
      fleet.runtime,
      consoleSettingsFrom({ port: 0 }, { HIRE_CONSOLE_ADMINS: 'ou_sandbox_admin' }),
      silentLogger,
    );
  });
  afterEach(async () => {
    await running.close();
    await fleet.close();
    await sandbox.close();
  });

  it('groups a batch’s letters by code, replays fixed rows into a linked batch, refuses a bad edit, discards with a reason', async () => {
    await fleet.enqueue('terminate', 'close-9', [
      { application_id: 'app-1', termination_type: 1 },
      { application_id: 'app-ghost-1', termination_type: 1 },
      { application_id: 'app-ghost-2', termination_type: 1 },
    ]);
    await fleet.waitForBatch('close-9');
    const admin = new ConsoleClient(running.url);
    await admin.signInAs('ou_sandbox_admin');

    const listed = await admin.json<Groups>('/api/v1/batches/close-9/dead-letters?lang=zh-CN');
    expect(listed.body.groups).toHaveLength(1);
    const [group] = listed.body.groups;
    expect(group).toMatchObject({ count: 2 });
    expect(group!.rows.map((r) => [r.line, r.input.application_id])).toEqual([
      [3, 'app-ghost-1'],
      [4, 'app-ghost-2'],
    ]);

    // The group as a workbook, to fix in Excel.
    const book = new ExcelJS.Workbook();
    const download = await admin.fetch(`/api/v1/batches/close-9/dead-letters.xlsx?code=${group!.code}`);
    await book.xlsx.load(Buffer.from(await download.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(3);
    expect(sheet.getRow(2).getCell(1).value).toBe('app-ghost-1');

    // A bad edit for the whole group: answered with the rows and fields, nothing changes.
    const refused = await admin.json<{ error: { code: string; rows: { line: number; errors: string[] }[] } }>(
      '/api/v1/batches/close-9/dead-letters/replay',
      { method: 'POST', body: JSON.stringify({ code: group!.code, edits: { termination_type: 9 } }) },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('INVALID_EDIT');
    expect(refused.body.error.rows.map((r) => r.line)).toEqual([3, 4]);
    expect(refused.body.error.rows[0]!.errors.join()).toMatch(/termination_type/);
    expect((await admin.json<Groups>('/api/v1/batches/close-9/dead-letters')).body.groups[0]!.count).toBe(2);

    // Line 3 rewritten to the application it meant: a new batch, linked both ways.
    const replayed = await admin.json<{ batchId: string; accepted: number }>(
      '/api/v1/batches/close-9/dead-letters/replay',
      {
        method: 'POST',
        body: JSON.stringify({
          lines: [3],
          rows: [{ line: 3, input: { application_id: 'app-2', termination_type: 1 } }],
        }),
      },
    );
    expect(replayed).toMatchObject({ status: 201, body: { accepted: 1 } });
    const into = replayed.body.batchId;
    await fleet.waitForBatch(into);
    expect((await admin.json(`/api/v1/batches/${into}`)).body).toMatchObject({
      replayOf: 'close-9',
      counts: { succeeded: 1 },
    });
    expect((await admin.json('/api/v1/batches/close-9')).body).toMatchObject({ replayedInto: [into] });
    expect((await admin.json<Groups>('/api/v1/batches/close-9/dead-letters')).body.groups[0]!.rows).toEqual([
      expect.objectContaining({ line: 4 }),
    ]);

    // The last one discarded, with why.
    const noReason = await admin.json('/api/v1/batches/close-9/dead-letters/discard', {
      method: 'POST',
      body: JSON.stringify({ lines: [4] }),
    });
    expect(noReason.status).toBe(422);
    const discarded = await admin.json('/api/v1/batches/close-9/dead-letters/discard', {
      method: 'POST',
      body: JSON.stringify({ lines: [4], reason: '候选人已自行撤回' }),
    });
    expect(discarded.body).toEqual({ discarded: 1 });
    expect((await admin.json<Groups>('/api/v1/batches/close-9/dead-letters')).body.groups).toEqual([]);
    const audit = await admin.json<{ entries: { action: string; detail: { reason?: string } }[] }>(
      '/api/v1/audit?batchId=close-9',
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual(['discard', 'replay']);
    expect(audit.body.entries[0]!.detail.reason).toBe('候选人已自行撤回');
    // The batch's page says what was left out, why and by whom.
    expect((await admin.json('/api/v1/batches/close-9')).body).toMatchObject({
      discarded: [{ count: 1, reason: '候选人已自行撤回', by: '王芳' }],
    });
  });
});
