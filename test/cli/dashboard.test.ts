import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runCli } from '../helpers/cli';
import { startCli } from '../helpers/processes';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

/** Debian's chromium, installed by the project's setup (.ci/run); CHROMIUM_PATH names another. */
const browserPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const withBrowser = existsSync(browserPath) ? it : it.skip;
if (!existsSync(browserPath))
  console.warn(
    `dashboard browser test skipped: no chromium at ${browserPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );

const credentials = { HIRE_DASHBOARD_USER: 'ops', HIRE_DASHBOARD_PASSWORD: 'night-shift' };

describe('hire-queue dashboard', () => {
  withBrowser(
    'shows the three queues and a job of a batch just run, to a person with the password',
    async () => {
      const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
      const prefix = testPrefix();
      const env = testEnv(sandbox, prefix);
      const dir = mkdtempSync(join(tmpdir(), 'hq-dash-'));
      const close = join(dir, 'close.csv');
      writeFileSync(close, 'application_id,termination_type\napp-1,1\napp-2,1\napp-ghost,27\n');
      expect((await runCli(['run', 'terminate', '--file', close, '--batch', 'round-7'], env)).code).toBe(3);

      const dashboard = startCli(['dashboard', '--port', '0'], { env: { ...env, ...credentials } });
      await dashboard.waitForOutput(/dashboard on (http:\/\/127\.0\.0\.1:\d+)\//);
      const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(dashboard.stderr())![1]!;
      expect((await fetch(`${url}/`)).status).toBe(401);
      expect((await fetch(`${url}/api/queues`)).status).toBe(401);
      const auth = `Basic ${Buffer.from(`${credentials.HIRE_DASHBOARD_USER}:${credentials.HIRE_DASHBOARD_PASSWORD}`).toString('base64')}`;
      const api = await fetch(`${url}/api/queues`, { headers: { Authorization: auth } });
      expect(api.status).toBe(200);
      const { queues } = (await api.json()) as { queues: { name: string }[] };
      expect(queues.map((q) => q.name).sort()).toEqual(['create', 'dead-letter', 'terminate']);

      const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
      try {
        const context = await browser.newContext({
          httpCredentials: {
            username: credentials.HIRE_DASHBOARD_USER,
            password: credentials.HIRE_DASHBOARD_PASSWORD,
          },
          viewport: { width: 1280, height: 800 },
        });
        const page = await context.newPage();
        await page.goto(`${url}/`);
        for (const name of ['create', 'terminate', 'dead-letter'])
          await page.getByText(name, { exact: true }).first().waitFor();
        await page.goto(`${url}/queue/terminate?status=completed`);
        await page.getByText('terminate round-7 line 2').first().waitFor();
        // HIRE_SCREENSHOT_OUT=docs/dashboard.png refreshes the README's picture.
        await page.screenshot({ path: process.env.HIRE_SCREENSHOT_OUT ?? join(dir, 'dashboard.png') });
      } finally {
        await browser.close();
      }
      expect((await dashboard.stop('SIGTERM')).code).toBe(0);
      await openRedis(prefix).closeAndClean();
      await sandbox.close();
    },
  );

  it('refuses to listen beyond this machine without credentials', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 1) } });
    const result = await runCli(
      ['dashboard', '--host', '0.0.0.0', '--port', '0'],
      testEnv(sandbox, testPrefix()),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--host 0\.0\.0\.0: the dashboard listens beyond this machine only with HIRE_DASHBOARD_USER/,
    );
    await sandbox.close();
  });
});
