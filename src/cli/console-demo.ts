import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsole } from '../console/console-server';
import { consoleSettingsFrom } from '../console/console-settings';
import { People } from '../lib/access/people';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createRuntime } from '../lib/runtime/hire-runtime';
import { generatedIds } from '../sandbox/hire-state';
import { SANDBOX_APP } from '../sandbox/sandbox-config';
import { defaultPeople } from '../sandbox/sign-in';
import { startSandbox } from '../sandbox/sandbox-server';
import { startWorkers } from '../workers/hire-worker';
import { ExitCode } from './exit-codes';
import { startPrivateRedisServer } from './private-redis-server';
import { watchShutdown } from './shutdown';

const say = (line = '') => process.stderr.write(`${line}\n`);

/** The sandbox's people, with the role each has in the demo. */
/** A second operator too: a batch above HIRE_CONSOLE_APPROVAL_ROWS needs another person to approve it. */
const demoRoles = {
  ou_sandbox_operator: 'operator',
  ou_sandbox_second_operator: 'operator',
  ou_sandbox_viewer: 'viewer',
} as const;

/**
 * `hire-queue demo --console`: the sandbox, a private Redis, workers and the console, until Ctrl-C.
 * Prints the address to open, who to sign in as, and a spreadsheet to upload.
 */
export async function runConsoleDemo(port: number): Promise<number> {
  const sandbox = await startSandbox({
    config: { generate: { talents: 400, jobs: 3, employees: 20, applications: 120, maxAgeDays: 90 } },
  });
  const privateRedis = await startPrivateRedisServer().catch(async (error: unknown) => {
    await sandbox.close();
    throw error;
  });
  const dir = mkdtempSync(join(tmpdir(), 'hire-queue-console-demo-'));
  const runtime = createRuntime(
    loadConfig({
      FEISHU_BASE_URL: sandbox.url,
      FEISHU_APP_ID: SANDBOX_APP.appId,
      FEISHU_APP_SECRET: SANDBOX_APP.appSecret,
      REDIS_URL: privateRedis.url,
      HIRE_QUEUE_PREFIX: '{hire-queue-console-demo}',
    }),
    'hire-queue-console-demo',
  );
  const shutdown = watchShutdown(() => undefined);
  try {
    const logger = createLogger('hire-queue', { level: 'warn' });
    // The console's own rules as the person running the demo set them (HIRE_CONSOLE_APPROVAL_ROWS=5
    // to try approvals); its admin and address are the demo's.
    const rules = ['CONFIRM_ROWS', 'MAX_UPLOAD_MB', 'APPROVAL_ROWS', 'CHECK_MAX_ROWS'].map(
      (r) => `HIRE_CONSOLE_${r}`,
    );
    const settings = consoleSettingsFrom(
      { port },
      {
        ...Object.fromEntries(
          rules.filter((name) => process.env[name]).map((name) => [name, process.env[name]]),
        ),
        HIRE_CONSOLE_ADMINS: 'ou_sandbox_admin',
      },
    );
    // The demo's people have their roles already: in a real deployment an admin gives them.
    const people = new People(runtime.redis, runtime.keys, settings.admins);
    for (const person of defaultPeople) {
      await people.signedIn(person.open_id, person.name);
      const role = demoRoles[person.open_id as keyof typeof demoRoles];
      if (role) await people.setRole(person.open_id, role);
    }
    const workers = await startWorkers({ runtime, logger });
    const running = await startConsole(runtime, settings, logger);
    const sample = join(dir, '离职名单.csv');
    const job = generatedIds.job(1);
    const open = [...sandbox.state.applications.values()].filter(
      (a) => a.active_status === 1 && a.job_id === job,
    );
    const rows = open.slice(0, 25).map((a) => `${a.id},1,招聘季结束`);
    writeFileSync(sample, `\uFEFF投递ID,终止类型,终止备注\n${rows.join('\n')}\nnot-an-id,9,\n`);
    say('hire-queue console demo: the Feishu Hire sandbox, a private Redis, workers and the console.\n');
    say(`  Open ${running.url}/ and sign in as one of the sandbox's people:`);
    say(
      '    王芳 Wang Fang (admin) · 李娜 Li Na (operator) · 陈静 Chen Jing (operator, approves) · 张伟 Zhang Wei (viewer) · 刘洋 Liu Yang (no role yet)',
    );
    say(`  A spreadsheet to upload as 李娜 (25 terminations and one bad row): ${sample}`);
    say('\n  Ctrl-C stops it (everything lives in the private Redis and goes with it).');
    if (!shutdown.signal.aborted) await once(shutdown.signal, 'abort');
    await running.close();
    await workers.close();
    return shutdown.exitCode() ?? ExitCode.ok;
  } finally {
    shutdown.dispose();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
    await sandbox.close();
    await privateRedis.stop();
  }
}
