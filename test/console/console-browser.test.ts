import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openBrowserConsole, expectAccessible, screenshot, signIn as signInAs, withBrowser } from './browser';
import type { RunningConsole } from '../../src/console/console-server';
import type { Fleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const XSS = '<img src=x onerror=alert(1)>';

/** Every dialog any page opened (an alert would mean a value ran as HTML): none is expected. */
const dialogs: string[] = [];

/** Signs in, every dialog kept. */
const signIn = (browser: Browser, url: string, name: string) => signInAs(browser, url, name, dialogs);

describe('the console in a browser (issue 29)', () => {
  let fleet: Fleet;
  let running: RunningConsole;
  let browser: Browser;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ fleet, running, browser, close } = await openBrowserConsole({
      sandbox: { fixture: smallFixture(Date.now(), 12) },
      // Terminations at 4 a second: a batch of nine runs long enough to be seen running.
      fleetEnv: () => ({ HIRE_LIMIT_TERMINATE: '4/s' }),
      consoleEnv: { HIRE_CONSOLE_ADMINS: 'ou_sandbox_admin', HIRE_CONSOLE_CONFIRM_ROWS: '2' },
    }));
  });
  afterEach(() => close());

  withBrowser(
    'takes an operator from a GBK spreadsheet to a finished batch and its results workbook; pause, resume, cancel; roles',
    async () => {
      const admin = await signIn(browser, running.url, '王芳');
      const operator = await signIn(browser, running.url, '李娜');
      await operator.getByText('你还没有权限').waitFor();
      await expectAccessible(operator, 'no role');

      // The admin gives the operator their role, on the people page.
      await admin.goto(`${running.url}/people`);
      await admin.getByLabel('李娜 的角色').selectOption('operator');
      await admin.getByText('已将 李娜 的角色改为「操作员」').waitFor();
      await expectAccessible(admin, 'people');

      // A GBK CSV with Chinese headers: nine good rows, one bad.
      const dir = mkdtempSync(join(tmpdir(), 'hq-console-'));
      const file = join(dir, '离职名单.csv');
      const csv = [
        '投递ID,终止类型,终止备注',
        ...Array.from({ length: 10 }, (_, i) => `app-${i + 1},${i === 2 ? 9 : 1},${i === 3 ? '已谈妥' : ''}`),
      ].join('\r\n');
      writeFileSync(file, iconv.encode(csv, 'gbk'));
      await operator.goto(`${running.url}/new`);
      await expectAccessible(operator, 'new batch');

      // Headers it does not know: the mapping step, then the preview.
      const english = join(dir, 'english.csv');
      writeFileSync(english, 'Application,Type,Remark\napp-5,1,x\n');
      await operator.getByLabel('表格文件').setInputFiles(english);
      await operator.getByRole('button', { name: '读取并检查' }).click();
      await operator.getByLabel('Application').selectOption('application_id');
      await operator.getByLabel('Type').selectOption('termination_type');
      await expectAccessible(operator, 'mapping');
      await operator.getByRole('button', { name: '按此对应重新读取' }).click();
      await operator.getByText('english.csv：共 1 行，1 行有效，0 行无效。').waitFor();
      await operator.getByRole('button', { name: '重新选择文件' }).click();
      await operator.getByLabel('表格文件').setInputFiles(file);
      await operator.getByRole('button', { name: '读取并检查' }).click();
      await operator.getByText('离职名单.csv：共 10 行，9 行有效，1 行无效。').waitFor();
      await operator.getByRole('cell', { name: /termination_type must be 1/ }).waitFor();
      await expectAccessible(operator, 'preview');
      await screenshot(operator, 'preview');

      // Confirm: the reason picked from Feishu's list, a note, the count typed.
      await operator.getByLabel('终止原因（只补表格里空着的行）').selectOption('reason-1');
      await operator.getByLabel('终止备注').fill(XSS);
      const start = operator.getByRole('button', { name: '确认写入 9 行' });
      expect(await start.isDisabled()).toBe(true);
      await operator.getByLabel('行数较多，请输入 9 以确认').fill('9');
      await start.click();
      // Running: the progress moves without a reload.
      await operator
        .getByRole('status')
        .getByText(/已完成 [3-8] \/ 9/)
        .waitFor();
      await screenshot(operator, 'batch');
      // The batch page, which follows the batch to its end without a reload.
      await operator.getByText('已完成：每一行都有了结果，可以下载结果表。').waitFor({ timeout: 30_000 });
      await operator.getByRole('status').getByText('已完成 9 / 9').waitFor();
      await expectAccessible(operator, 'batch');

      // The results workbook, read back: every row with its status.
      const [download] = await Promise.all([
        operator.waitForEvent('download'),
        operator.getByRole('link', { name: '全部结果 (.xlsx)' }).click(),
      ]);
      const saved = join(dir, 'results.xlsx');
      await download.saveAs(saved);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(saved);
      const sheet = workbook.worksheets[0]!;
      const header = (sheet.getRow(1).values as string[]).slice(1);
      const rows = [];
      for (let r = 2; r <= sheet.rowCount; r++) {
        const values = (sheet.getRow(r).values as string[]).slice(1);
        rows.push(Object.fromEntries(header.map((h, i) => [h, values[i]])));
      }
      expect(rows.map((r) => [r.application_id, r.status, r.termination_reason_note ?? ''])).toEqual(
        Array.from({ length: 10 }, (_, i) => [
          `app-${i + 1}`,
          i === 2 ? 'invalid' : 'succeeded',
          i === 3 ? '已谈妥' : XSS,
        ]),
      );

      // Two more batches while no worker runs: pause and resume one, cancel the other with a reason.
      await fleet.workers.close();
      for (const batchId of ['second', 'third'])
        await fleet.enqueue('terminate', batchId, [
          { application_id: 'app-11', termination_type: 1 },
          { application_id: 'app-12', termination_type: 1 },
        ]);
      await operator.goto(`${running.url}/batches/second`);
      await operator.getByRole('button', { name: '暂停' }).click();
      await operator.getByText('尚未开始的 2 行将暂停').waitFor();
      await expectAccessible(operator, 'confirm dialog');
      await operator.getByRole('dialog').getByRole('button', { name: '暂停' }).click();
      await operator.getByText('已暂停：不会再开始新的调用').waitFor();
      await operator.getByRole('button', { name: '恢复' }).click();
      await operator.getByRole('dialog').getByRole('button', { name: '恢复' }).click();
      await operator.getByText('正在按限速逐行写入飞书。').waitFor();

      await operator.goto(`${running.url}/batches/third`);
      await operator.getByRole('button', { name: '取消批次' }).click();
      await operator.getByText('尚未调用的 2 行将不会写入飞书').waitFor();
      await operator.getByLabel('取消原因（会记入操作记录）').fill(`名单有误 ${XSS}`);
      await operator.getByRole('dialog').getByRole('button', { name: '确认取消' }).click();
      await operator.getByText('已取消：尚未调用的行不会再调用').waitFor();

      // The batch list, and the audit naming the operator for each action, every value as text.
      await operator.goto(`${running.url}/`);
      await operator.getByRole('link', { name: 'third' }).waitFor();
      await expectAccessible(operator, 'batches');
      await admin.goto(`${running.url}/audit`);
      await admin.getByRole('cell', { name: '取消', exact: true }).waitFor();
      const audit = await admin.locator('tbody').innerText();
      for (const action of ['确认写入', '暂停', '恢复', '取消', '上传文件', '授予角色'])
        expect(audit).toContain(action);
      expect(audit).toContain(XSS);
      expect(await admin.locator('tbody img').count()).toBe(0);
      await expectAccessible(admin, 'audit');

      // A viewer sees everything and no write control.
      const viewer = await signIn(browser, running.url, '张伟');
      await admin.goto(`${running.url}/people`);
      await admin.getByLabel('张伟 的角色').selectOption('viewer');
      await admin.getByText('已将 张伟 的角色改为「只读」').waitFor();
      await viewer.goto(`${running.url}/batches/second`);
      await viewer.getByText('正在按限速逐行写入飞书。').waitFor();
      expect(await viewer.getByRole('button', { name: /暂停|取消批次/ }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: '新建批次' }).count()).toBe(0);
      // The English toggle, kept by this browser.
      await viewer.getByRole('button', { name: 'English' }).click();
      await viewer.getByText('Rows are being written to Feishu').waitFor();
      await viewer.reload();
      await viewer.getByText('Rows are being written to Feishu').waitFor();
      await expectAccessible(viewer, 'batch, English');

      // A sign-in refused on Feishu's page: a page that says so, accessible too.
      const refusing = await (await browser.newContext()).newPage();
      await refusing.goto(`${running.url}/`);
      await refusing.getByRole('link', { name: /拒绝/ }).click();
      await refusing.getByText('你在飞书页面上拒绝了授权').waitFor();
      await expectAccessible(refusing, 'sign-in refused');
      expect(dialogs).toEqual([]);
    },
    120_000,
  );
});
