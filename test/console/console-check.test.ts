import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import { silentLogger } from '../../src/lib/logger';
import type { HireRuntime } from '../../src/lib/runtime/hire-runtime';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';
import { signInOperator, type ConsoleClient } from './console-client';

const ADMIN = 'ou_sandbox_admin';
const OPERATOR = 'ou_sandbox_operator';

interface CheckAnswer {
  state: string;
  checked: number;
  total: number;
  verdicts: Record<string, number>;
  rows: {
    line: number;
    verdict: string;
    code?: string;
    reason: string;
    applicationId?: string;
    why?: string;
  }[];
}

describe('the check against Feishu before anything is written (issue 30, 预检)', () => {
  let sandbox: TestSandbox;
  let runtime: HireRuntime;
  let prefix: string;
  let running: RunningConsole;
  let operator: ConsoleClient;
  let admin: ConsoleClient;

  beforeEach(async () => {
    sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 4) } });
    prefix = testPrefix();
    // Reads at 5 a second: a check of ten rows runs long enough to be stopped.
    runtime = openRuntime(sandbox, prefix, { HIRE_LIMIT_READ: '5/s' });
    running = await startConsole(
      runtime,
      consoleSettingsFrom({ port: 0 }, { HIRE_CONSOLE_ADMINS: ADMIN, HIRE_CONSOLE_CHECK_MAX_ROWS: '10' }),
      silentLogger,
    );
    ({ admin, operator } = await signInOperator(running.url, ADMIN, OPERATOR));
  });
  afterEach(async () => {
    await running.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });

  const upload = async (operation: string, csv: string) => {
    const form = new FormData();
    form.append('operation', operation);
    form.append('file', new Blob([csv]), `${operation}.csv`);
    const answer = await operator.json<{
      uploadId: string;
      valid: number;
      check: { estimateSeconds: number };
    }>('/api/v1/uploads', { method: 'POST', body: form });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const checkToTheEnd = async (uploadId: string) => {
    expect((await operator.json(`/api/v1/uploads/${uploadId}/check`, { method: 'POST' })).status).toBe(202);
    const done = await operator.json<CheckAnswer>(`/api/v1/uploads/${uploadId}/check?waitMs=20000`);
    expect(done.status).toBe(200);
    return done.body;
  };

  it('finds terminations done, moved or unknown with reads only, and leaves them out at confirm', async () => {
    const cutoff = Date.now() - 86_400_000;
    sandbox.touchApplication('app-2', { active: false });
    sandbox.touchApplication('app-3');
    const preview = await upload(
      'terminate',
      `application_id,termination_type,if_not_updated_since,termination_reason_list\n` +
        ['app-2', 'app-3', 'app-4', 'app-missing'].map((id) => `${id},1,${cutoff},`).join('\n') +
        `\napp-1,1,${cutoff},reason-gone`,
    );
    // The cost is stated before: 5 rows at the read limit's 5/s.
    expect(preview.check.estimateSeconds).toBe(1);
    // Nothing can be left out before a check has run.
    expect(
      (
        await operator.json('/api/v1/batches', {
          method: 'POST',
          body: JSON.stringify({ uploadId: preview.uploadId, leaveOut: ['alreadyDone'] }),
        })
      ).status,
    ).toBe(409);

    const check = await checkToTheEnd(preview.uploadId);
    expect(check).toMatchObject({
      state: 'done',
      checked: 5,
      total: 5,
      verdicts: { wouldSucceed: 1, alreadyDone: 1, wouldFail: 2, skipped: 1, unchecked: 0 },
    });
    expect(check.rows.map(({ line, verdict, code }) => ({ line, verdict, code }))).toEqual([
      { line: 2, verdict: 'alreadyDone', code: '1002221' },
      { line: 3, verdict: 'skipped', code: undefined },
      { line: 5, verdict: 'wouldFail', code: '1002002' },
      { line: 6, verdict: 'wouldFail', code: '1002002' },
    ]);
    expect(check.rows.map((row) => row.why)).toEqual(['terminated', 'moved', 'notFound', 'unknownReason']);
    expect(check.rows[1]!.reason).toContain('someone moved it');
    // Reads only: not one terminate call reached Feishu.
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    // One read per row, and Feishu's termination reasons listed once for all of them.
    expect(sandbox.stats().endpoints.getApplication.calls).toBe(4);
    expect(sandbox.stats().endpoints.listTerminationReasons.calls).toBe(1);

    expect(
      (
        await operator.json('/api/v1/batches', {
          method: 'POST',
          body: JSON.stringify({ uploadId: preview.uploadId, leaveOut: ['everything'] }),
        })
      ).body,
    ).toMatchObject({ error: { code: 'INVALID_LEAVE_OUT' } });
    const confirmed = await operator.json<{ accepted: number; leftOut: number }>('/api/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        uploadId: preview.uploadId,
        batchId: 'checked-closeout',
        leaveOut: ['alreadyDone', 'skipped', 'wouldFail'],
      }),
    });
    expect(confirmed).toMatchObject({ status: 201, body: { accepted: 1, leftOut: 4 } });
    const report = await operator.json<{ counts: Record<string, number>; rows?: unknown }>(
      '/api/v1/batches/checked-closeout',
    );
    expect(report.body.counts).toMatchObject({ pending: 1, alreadyDone: 1, skipped: 3 });
    expect(sandbox.stats().endpoints.terminate.calls).toBe(0);
    // Which batches touched this candidate?
    const search = async (query: string) =>
      (await operator.json<{ batches: { batchId: string }[] }>(`/api/v1/batches?${query}`)).body.batches.map(
        (b) => b.batchId,
      );
    expect(await search('applicationId=app-4')).toEqual(['checked-closeout']);
    expect(await search('applicationId=app-99')).toEqual([]);

    const audit = await admin.json<{
      entries: { action: string; actor: { name: string }; detail: unknown }[];
    }>('/api/v1/audit');
    expect(audit.body.entries.find((e) => e.action === 'check')).toMatchObject({
      detail: { rows: 5, operation: 'terminate' },
    });
  });

  it('finds a create’s duplicate ahead, with the application that is there already', async () => {
    const preview = await upload('create', 'talent_id,job_id\ntalent-busy,job-1\ntalent-free,job-1\n');
    const check = await checkToTheEnd(preview.uploadId);
    expect(check.verdicts).toMatchObject({ wouldSucceed: 1, wouldFail: 1 });
    expect(check.rows).toEqual([
      expect.objectContaining({ line: 2, verdict: 'wouldFail', code: '1002206', applicationId: 'app-1' }),
    ]);
    expect(sandbox.stats().endpoints.create.calls).toBe(0);
    // Left out at confirm, the duplicate's row shows the application that is there.
    await operator.json('/api/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        uploadId: preview.uploadId,
        batchId: 'checked-create',
        leaveOut: ['wouldFail'],
      }),
    });
    const results = await operator.fetch('/api/v1/batches/checked-create/results.csv?status=skipped');
    expect(await results.text()).toContain('app-1');
    const found = await operator.json<{ batches: { batchId: string }[] }>(
      '/api/v1/batches?talentId=talent-free',
    );
    expect(found.body.batches.map((b) => b.batchId)).toEqual(['checked-create']);
  });

  it('stops a check when asked, keeping what it found so far', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `app-missing-${i},1`).join('\n');
    const preview = await upload('terminate', `application_id,termination_type\n${rows}\n`);
    expect(
      (await operator.json(`/api/v1/uploads/${preview.uploadId}/check`, { method: 'POST' })).status,
    ).toBe(202);
    const stopped = await operator.json<CheckAnswer>(`/api/v1/uploads/${preview.uploadId}/check/stop`, {
      method: 'POST',
    });
    expect(stopped.body.state).toBe('stopped');
    expect(stopped.body.checked).toBeLessThan(10);
    expect(stopped.body.rows).toHaveLength(stopped.body.checked);
    // Nothing can be left out of an unfinished check.
    const refused = await operator.json('/api/v1/batches', {
      method: 'POST',
      body: JSON.stringify({ uploadId: preview.uploadId, leaveOut: ['wouldFail'] }),
    });
    expect(refused.status).toBe(409);
  });

  it('reads back a download of failed rows (its line, code and message columns) without a mapping step', async () => {
    const preview = await upload(
      'create',
      'talent_id,job_id,resume_source_id,line,code,message\ntalent-free,job-2,src-normal,2,1002512,resume source not exist\n',
    );
    expect(preview.valid).toBe(1);
  });

  it('refuses a check above HIRE_CONSOLE_CHECK_MAX_ROWS, naming the setting', async () => {
    const rows = Array.from({ length: 11 }, (_, i) => `app-${i},1`).join('\n');
    const preview = await upload('terminate', `application_id,termination_type\n${rows}\n`);
    const refused = await operator.json<{ error: { code: string; message: string } }>(
      `/api/v1/uploads/${preview.uploadId}/check`,
      { method: 'POST' },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('HIRE_CONSOLE_CHECK_MAX_ROWS');
  });
});
