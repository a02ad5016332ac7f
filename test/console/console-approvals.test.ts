import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import { silentLogger } from '../../src/lib/logger';
import type { HireRuntime } from '../../src/lib/runtime/hire-runtime';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openRuntime, testEnv } from '../helpers/runtime';
import { runCli } from '../helpers/cli';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { ConsoleClient } from './console-client';

const ADMIN = 'ou_sandbox_admin';

describe('a second person’s approval for big batches (issue 30)', () => {
  let sandbox: TestSandbox;
  let runtime: HireRuntime;
  let prefix: string;
  let running: RunningConsole;

  beforeEach(async () => {
    sandbox = await openSandbox({ config: { bots: [{ hook: 'team-hook' }] } });
    prefix = testPrefix();
    runtime = openRuntime(sandbox, prefix, {
      HIRE_NOTIFY_WEBHOOK: `${sandbox.url}/open-apis/bot/v2/hook/team-hook`,
    });
    running = await startConsole(
      runtime,
      consoleSettingsFrom({ port: 0 }, { HIRE_CONSOLE_ADMINS: ADMIN, HIRE_CONSOLE_APPROVAL_ROWS: '2' }),
      silentLogger,
    );
  });
  afterEach(async () => {
    await running.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });

  it('holds a batch above the threshold until another operator approves it; a rejection and an expiry end it', async () => {
    const admin = new ConsoleClient(running.url);
    await admin.signInAs(ADMIN);
    const asker = new ConsoleClient(running.url);
    await asker.signInAs('ou_sandbox_operator');
    const second = new ConsoleClient(running.url);
    await second.signInAs('ou_sandbox_second_operator');
    for (const openId of ['ou_sandbox_operator', 'ou_sandbox_second_operator'])
      await admin.json(`/api/v1/people/${openId}/role`, {
        method: 'PUT',
        body: JSON.stringify({ role: 'operator' }),
      });

    const confirm = async (batchId: string) => {
      const form = new FormData();
      form.append('operation', 'terminate');
      form.append(
        'file',
        new Blob(['application_id,termination_type\napp-1,1\napp-2,1\napp-3,1\n']),
        'big.csv',
      );
      const preview = await asker.json<{ uploadId: string }>('/api/v1/uploads', {
        method: 'POST',
        body: form,
      });
      return asker.json<{ state?: string; accepted: number }>('/api/v1/batches', {
        method: 'POST',
        body: JSON.stringify({ uploadId: preview.body.uploadId, batchId }),
      });
    };
    expect(await confirm('big-1')).toMatchObject({
      status: 202,
      body: { state: 'awaitingApproval', accepted: 0 },
    });
    // The team's group is told, with a link to the batch's page.
    const card = JSON.stringify(sandbox.botMessages().at(-1)?.message);
    expect(card).toContain('awaiting approval: big-1');
    expect(card).toContain('李娜');
    expect(card).toContain(`${running.url}/batches/big-1`);
    expect(await runtime.batches.meta('big-1')).toBeUndefined();
    expect((await admin.json('/api/v1/batches?state=awaitingApproval')).body).toMatchObject({
      batches: [{ batchId: 'big-1', state: 'awaitingApproval', rows: 3, createdBy: { name: '李娜' } }],
    });
    expect((await admin.json('/api/v1/batches/big-1')).body).toMatchObject({
      state: 'awaitingApproval',
      approval: { count: 3, requestedBy: { name: '李娜' }, fileName: 'big.csv' },
    });
    // Whoever approves can read exactly what would be written.
    const file = await second.fetch('/api/v1/batches/big-1/approval-file');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain('big.csv');
    expect(await file.text()).toContain('app-3,1');

    const approve = (client: ConsoleClient, batchId: string) =>
      client.json<{ accepted?: number; error?: { code: string } }>(`/api/v1/batches/${batchId}/approve`, {
        method: 'POST',
      });
    expect(await approve(asker, 'big-1')).toMatchObject({
      status: 403,
      body: { error: { code: 'OWN_BATCH' } },
    });
    expect(await approve(second, 'big-1')).toMatchObject({ status: 201, body: { accepted: 3 } });
    expect((await runtime.batches.progress('big-1')).jobs).toBe(3);
    expect(await approve(admin, 'big-1')).toMatchObject({ status: 409 });
    // Started, its page still says who asked and who approved.
    expect((await admin.json('/api/v1/batches/big-1')).body).toMatchObject({
      createdBy: { name: '李娜' },
      approval: { state: 'approved', requestedBy: { name: '李娜' }, decidedBy: { name: '陈静' } },
    });

    expect((await confirm('big-2')).status).toBe(202);
    const reject = (body: object) =>
      second.json('/api/v1/batches/big-2/reject', { method: 'POST', body: JSON.stringify(body) });
    expect((await reject({})).status).toBe(422);
    expect((await reject({ reason: '名单不对' })).body).toMatchObject({ state: 'rejected' });
    expect(await approve(admin, 'big-2')).toMatchObject({ status: 409 });
    expect(await runtime.batches.meta('big-2')).toBeUndefined();

    // Not approved within a day: rejected, "expired".
    expect((await confirm('big-3')).status).toBe(202);
    const key = runtime.keys.console.approvals;
    const record = JSON.parse((await runtime.redis.hget(key, 'big-3'))!) as { requestedAt: string };
    record.requestedAt = new Date(Date.now() - 25 * 3_600_000).toISOString();
    await runtime.redis.hset(key, 'big-3', JSON.stringify(record));
    expect((await admin.json('/api/v1/batches/big-3')).body).toMatchObject({
      state: 'rejected',
      approval: { reason: 'expired' },
    });
    expect(await approve(second, 'big-3')).toMatchObject({ status: 409 });

    // The command line sees them with their state, and cannot start them.
    const env = testEnv(sandbox, prefix);
    const list = JSON.parse((await runCli(['batch', '--json'], env)).stdout) as {
      batches: { batchId: string; state: string }[];
    };
    expect(
      list.batches
        .filter((b) => b.batchId.startsWith('big-'))
        .map((b) => [b.batchId, b.state])
        .sort(),
    ).toEqual([
      ['big-1', 'running'],
      ['big-2', 'rejected'],
      ['big-3', 'rejected'],
    ]);
    const one = await runCli(['batch', 'big-2'], env);
    expect(one.code).toBe(0);
    expect(one.stderr).toContain('batch big-2 is rejected (名单不对)');
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
      approvals: { batchId: string }[];
    };
    expect(status.approvals.map((a) => a.batchId).sort()).toEqual(['big-2', 'big-3']);

    const audit = await admin.json<{
      entries: { action: string; actor: { name: string }; batchId?: string }[];
    }>('/api/v1/audit');
    const actions = audit.body.entries
      .filter((e) => e.batchId?.startsWith('big-'))
      .map((e) => [e.batchId, e.action, e.actor.name]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['big-1', 'confirm', '李娜'],
        ['big-1', 'approve', '陈静'],
        ['big-2', 'reject', '陈静'],
      ]),
    );
  });
});
