import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openBrowserConsole, expectAccessible, screenshot, signIn, withBrowser } from './browser';
import type { RunningConsole } from '../../src/console/console-server';
import type { Fleet } from '../helpers/workers';
import type { TestSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

/** Opens a group of failed rows (a single group is open already: a click would close it). */
async function openGroup(page: Page, summary: RegExp): Promise<void> {
  const group = page.locator('details').filter({ has: page.getByText(summary) });
  await group.waitFor();
  if ((await group.getAttribute('open')) === null) await group.getByText(summary).click();
}

/** A write from the page itself, with its session and CSRF token: what a hand-made request would get. */
async function postFromPage(page: Page, path: string): Promise<number> {
  return page.evaluate(async (target) => {
    const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
    const res = await fetch(target, { method: 'POST', headers: { 'x-csrf-token': me.csrfToken } });
    return res.status;
  }, path);
}

describe('the console’s workbench in a browser (issue 30)', () => {
  let sandbox: TestSandbox;
  let fleet: Fleet;
  let running: RunningConsole;
  let browser: Browser;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ sandbox, fleet, running, browser, close } = await openBrowserConsole({
      sandbox: { fixture: smallFixture(Date.now(), 310), bots: [{ hook: 'team-hook' }] },
      fleetEnv: (sandbox) => ({ HIRE_NOTIFY_WEBHOOK: `${sandbox.url}/open-apis/bot/v2/hook/team-hook` }),
      consoleEnv: { HIRE_CONSOLE_ADMINS: 'ou_sandbox_admin', HIRE_CONSOLE_APPROVAL_ROWS: '200' },
    }));
  });
  afterEach(() => close());

  withBrowser(
    'fixes and replays dead letters, discards a group, checks a close-out before writing, and holds a big one for a second person',
    async () => {
      const admin = await signIn(browser, running.url, '王芳');
      const operator = await signIn(browser, running.url, '李娜');
      const second = await signIn(browser, running.url, '陈静');
      await admin.goto(`${running.url}/people`);
      for (const name of ['李娜', '陈静']) {
        await admin.getByLabel(`${name} 的角色`).selectOption('operator');
        await admin.getByText(`已将 ${name} 的角色改为「操作员」`).waitFor();
      }

      // 1. Dead letters fixed in place: two creates with a resume source Feishu does not know
      // (1002512), one duplicate (1002206).
      await fleet.enqueue('create', 'hires', [
        { talent_id: 'talent-free', job_id: 'job-2', resume_source_id: 'src-gone' },
        { talent_id: 'talent-other', job_id: 'job-2', resume_source_id: 'src-gone' },
        { talent_id: 'talent-busy', job_id: 'job-1' },
      ]);
      await fleet.waitForBatch('hires');
      await operator.goto(`${running.url}/batches/hires`);
      await openGroup(operator, /^1002512 · .* · 2 行$/);
      await screenshot(operator, 'workbench');
      await operator.getByRole('button', { name: '重新提交这 2 行' }).click();
      const replay = operator.getByRole('dialog');
      await replay.getByLabel('统一修改的字段').selectOption('resume_source_id');
      await replay.getByLabel('新的值').fill('src-normal');
      await expectAccessible(operator, 'replay dialog');
      await screenshot(operator, 'replay');
      await replay.getByRole('button', { name: '重新提交 2 行' }).click();
      await operator.getByText('已重新提交 2 行。').waitFor();
      // The list is read again: the replayed group leaves it.
      await operator.getByText(/^1002512 · /).waitFor({ state: 'detached' });
      const replayLink = operator.getByRole('link', { name: /查看新批次/ });
      const replayedInto = (await replayLink.innerText()).replace('查看新批次 ', '').trim();
      await fleet.waitForBatch(replayedInto);
      expect((await fleet.batches.progress(replayedInto)).counts).toMatchObject({ succeeded: 2 });

      // The duplicate's group is left out, with a reason.
      await openGroup(operator, /^1002206 · .* · 1 行$/);
      // The row editor checks the row as it is typed: an emptied talent is named under its field.
      await operator.getByRole('button', { name: '修改后重新提交' }).click();
      const editor = operator.getByRole('dialog');
      await editor.getByLabel(/talent_id/).fill('');
      await editor.getByText('talent_id: required').waitFor();
      expect(await editor.getByRole('button', { name: '重新提交 1 行' }).isDisabled()).toBe(true);
      await editor.getByLabel(/talent_id/).fill('talent-other');
      await editor.getByText('talent_id: required').waitFor({ state: 'detached' });
      expect(await editor.getByRole('button', { name: '重新提交 1 行' }).isDisabled()).toBe(false);
      await expectAccessible(operator, 'row editor');
      await editor.getByRole('button', { name: '返回' }).click();
      await operator.getByRole('button', { name: '放弃这 1 行' }).click();
      await operator.getByLabel('放弃的原因（会记入操作记录）').fill('已有投递，无需重复创建');
      await operator.getByRole('dialog').getByRole('button', { name: '放弃 1 行' }).click();
      await operator.getByText('已放弃 1 行。').waitFor();
      await operator.getByText(/^1002206 · /).waitFor({ state: 'detached' });
      // The batch's page says what was left out, why and by whom.
      await operator.getByText('李娜 放弃了 1 行（1002206）：已有投递，无需重复创建').waitFor();

      // 2. The check before a close-out: one application already closed, one moved since the cutoff.
      sandbox.touchApplication('app-2', { active: false });
      sandbox.touchApplication('app-3');
      const cutoff = Date.now() - 86_400_000;
      const dir = mkdtempSync(join(tmpdir(), 'hq-workbench-'));
      const closeout = join(dir, '本轮关闭名单.csv');
      writeFileSync(
        closeout,
        `投递ID,终止类型,if_not_updated_since\n${[1, 2, 3, 4].map((i) => `app-${i},1,${cutoff}`).join('\n')}\n`,
      );
      const terminateCalls = sandbox.stats().endpoints.terminate.calls;
      await operator.goto(`${running.url}/new`);
      await operator.getByLabel('表格文件').setInputFiles(closeout);
      await operator.getByRole('button', { name: '读取并检查' }).click();
      await operator.getByText('4 行约需 1 秒（按飞书的读取限额）。').waitFor();
      await operator.getByRole('button', { name: '开始预检' }).click();
      await operator.getByText('预检完成：4 行已核对。').waitFor();
      await operator.getByRole('cell', { name: '已经完成（无需写入）' }).waitFor();
      await operator.getByRole('cell', { name: '会被跳过（有人动过）' }).waitFor();
      expect(sandbox.stats().endpoints.terminate.calls).toBe(terminateCalls);
      await expectAccessible(operator, 'check');
      await screenshot(operator, 'check');
      // Left out by default; the count to write says so.
      expect(await operator.getByLabel('不写入已经完成的 1 行').isChecked()).toBe(true);
      expect(await operator.getByLabel('不写入会被跳过的 1 行').isChecked()).toBe(true);
      await operator.getByText('按预检结果，2 行不写入。').waitFor();
      await operator.getByText('确认后将终止 2 个投递。', { exact: false }).waitFor();
      await operator.getByRole('button', { name: '确认写入 2 行' }).click();
      await operator.getByText('已完成：每一行都有了结果，可以下载结果表。').waitFor({ timeout: 30_000 });
      const checkedBatch = decodeURIComponent(new URL(operator.url()).pathname.split('/').pop()!);
      expect((await fleet.batches.progress(checkedBatch)).counts).toMatchObject({
        succeeded: 2,
        alreadyDone: 1,
        skipped: 1,
      });
      // Only the two rows kept were terminated.
      expect(sandbox.stats().endpoints.terminate.calls).toBe(terminateCalls + 2);

      // 3. A close-out of 300 above HIRE_CONSOLE_APPROVAL_ROWS=200 waits for a second person.
      const big = join(dir, '三百行.csv');
      writeFileSync(
        big,
        `application_id,termination_type\n${Array.from({ length: 300 }, (_, i) => `app-${i + 11},1`).join('\n')}\n`,
      );
      await operator.goto(`${running.url}/new`);
      await operator.getByLabel('表格文件').setInputFiles(big);
      await operator.getByRole('button', { name: '读取并检查' }).click();
      await operator.getByLabel('行数较多，请输入 300 以确认').fill('300');
      await operator.getByRole('button', { name: '确认写入 300 行' }).click();
      await operator.getByText('还没有写入任何一行：等待另一位操作员或管理员批准。').waitFor();
      const bigBatch = decodeURIComponent(new URL(operator.url()).pathname.split('/').pop()!);
      expect(await fleet.batches.meta(bigBatch)).toBeUndefined();
      expect(await fleet.queues.byOperation('terminate').count()).toBe(0);
      expect(await postFromPage(operator, `/api/v1/batches/${encodeURIComponent(bigBatch)}/approve`)).toBe(
        403,
      );
      const card = JSON.stringify(sandbox.botMessages().at(-1)?.message);
      expect(card).toContain(`${running.url}/batches/${bigBatch}`);

      await second.goto(`${running.url}/batches/${encodeURIComponent(bigBatch)}`);
      await second.getByRole('button', { name: '批准写入 300 行' }).click();
      await second.getByText('已完成：每一行都有了结果，可以下载结果表。').waitFor({ timeout: 60_000 });
      expect((await fleet.batches.progress(bigBatch)).counts).toMatchObject({ succeeded: 300 });
      await second.getByText(/陈静 于 .* 批准后开始写入。/).waitFor();
      await screenshot(second, 'approved');

      // The audit has every step, by who took it.
      await admin.goto(`${running.url}/audit`);
      await admin.getByRole('cell', { name: '批准', exact: true }).waitFor();
      const audit = await admin.locator('tbody').innerText();
      for (const action of ['重新提交失败行', '放弃失败行', '预检', '批准', '确认写入'])
        expect(audit).toContain(action);
      await screenshot(admin, 'audit');

      // Which batches touched a candidate: the search by application id.
      await operator.goto(`${running.url}/`);
      await operator.getByLabel('按候选人查找：投递ID 或 人才ID').fill('app-4');
      await operator.getByRole('button', { name: '查找' }).click();
      await operator.getByText('涉及 app-4 的批次').waitFor();
      await operator.getByRole('link', { name: checkedBatch }).waitFor();
      expect(await operator.locator('tbody tr').count()).toBe(1);
      await expectAccessible(operator, 'search');
    },
    180_000,
  );
});
