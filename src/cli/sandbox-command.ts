import type { Command } from 'commander';
import { SANDBOX_APP, loadSandboxConfigFile } from '../sandbox/sandbox-config';
import { startSandbox } from '../sandbox/sandbox-server';
import { parsePort } from './option-parsers';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { watchShutdown } from './shutdown';

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run the local Feishu Hire stand-in (token, create, terminate, reads; limits and faults)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--config <file>', 'JSON config: apps, limits, faults, fixture or generate, token lifetime')
    .option(
      '--save-state <file>',
      'on SIGINT/SIGTERM, write the state as a fixture (start again with it as `fixture`)',
    )
    .action(async (opts: { port: number; host: string; config?: string; saveState?: string }) => {
      const config = opts.config === undefined ? undefined : loadSandboxConfigFile(opts.config);
      const sandbox = await startSandbox({ port: opts.port, host: opts.host, ...(config ? { config } : {}) });
      const app = sandbox.config.apps[0] ?? SANDBOX_APP;
      const { total, active } = sandbox.stats().applications;
      console.log(`Feishu Hire sandbox listening on ${sandbox.url}`);
      console.log(
        `  FEISHU_BASE_URL=${sandbox.url} FEISHU_APP_ID=${app.appId} (secret: see the sandbox config)`,
      );
      console.log(
        `  ${sandbox.state.talents.size} talents, ${sandbox.state.jobs.size} jobs, ${total} applications (${active} active)`,
      );
      console.log(`  stats: ${sandbox.url}/__sandbox/stats   state: ${sandbox.url}/__sandbox/state`);
      const shutdown = watchShutdown(() => undefined);
      if (!shutdown.signal.aborted) await once(shutdown.signal, 'abort');
      await sandbox.close();
      if (opts.saveState) writeFileSync(opts.saveState, JSON.stringify(sandbox.snapshot()));
      shutdown.dispose();
    });
}
