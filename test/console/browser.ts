import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import type { ConfigSource } from '../../src/lib/config';
import { silentLogger } from '../../src/lib/logger';
import type { SandboxOverrides } from '../../src/sandbox/sandbox-config';
import { openFleet, type Fleet } from '../helpers/workers';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';

/** Debian's chromium, installed by the project's setup (.ci/run); CHROMIUM_PATH names another. */
export const browserPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const withBrowser = existsSync(browserPath) ? it : it.skip;
if (!existsSync(browserPath))
  console.warn(`console browser tests skipped: no chromium at ${browserPath} (apt-get install chromium)`);

/** `HIRE_SCREENSHOT_DIR=docs`: the README's and the guide's screenshots, taken as the test goes. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.HIRE_SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: join(dir, `console-${name}.png`), fullPage: true });
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

/**
 * Signs in through the sandbox's authorize page, as a person picks their name there. Every dialog
 * the page opens (an alert would mean a value ran as HTML) is dismissed and kept in `dialogs`.
 */
export async function signIn(
  browser: Browser,
  url: string,
  name: string,
  dialogs: string[] = [],
): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${url}/`);
  await page.getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  return page;
}

/** A sandbox, workers, a console on them, and a browser: what a browser test drives. */
export interface BrowserConsole {
  sandbox: TestSandbox;
  fleet: Fleet;
  running: RunningConsole;
  browser: Browser;
  close(): Promise<void>;
}

export async function openBrowserConsole(options: {
  sandbox: SandboxOverrides;
  fleetEnv?: (sandbox: TestSandbox) => ConfigSource;
  consoleEnv: NodeJS.ProcessEnv;
}): Promise<BrowserConsole> {
  const sandbox = await openSandbox({ config: options.sandbox });
  const fleet = await openFleet(sandbox, options.fleetEnv?.(sandbox) ?? {});
  const running = await startConsole(
    fleet.runtime,
    consoleSettingsFrom({ port: 0 }, options.consoleEnv),
    silentLogger,
  );
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  return {
    sandbox,
    fleet,
    running,
    browser,
    close: async () => {
      await browser.close();
      await running.close();
      await fleet.close();
      await sandbox.close();
    },
  };
}
