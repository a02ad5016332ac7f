import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

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
