import type { Command } from 'commander';
import { once } from 'node:events';
import { startConsole } from '../console/console-server';
import { consoleSettingsFrom } from '../console/console-settings';
import { createLogger } from '../lib/logger';
import { addConnectionOptions, configFrom, openFeishuContext, type ConnectionFlags } from './cli-context';
import { parsePort } from './option-parsers';
import { watchShutdown } from './shutdown';

export function registerConsoleCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('console')
      .description(
        'the web console for HR-ops: sign in with Feishu, load a spreadsheet, confirm, watch, stop, download results',
      )
      .option('--port <n>', 'port to listen on (also HIRE_CONSOLE_PORT)', parsePort)
      .option(
        '--host <host>',
        'address to listen on (beyond loopback only with HIRE_CONSOLE_URL and HIRE_CONSOLE_SESSION_SECRET set)',
      ),
  ).action(async (flags: ConnectionFlags & { port?: number; host?: string }) => {
    // Settings first: a console that may not listen where asked says so before connecting anywhere.
    const settings = consoleSettingsFrom(flags);
    const ctx = await openFeishuContext(configFrom(flags));
    try {
      const running = await startConsole(ctx, settings, createLogger('hire-queue-console'));
      process.stderr.write(`hire-queue: console on ${running.url}/\n`);
      const shutdown = watchShutdown(() => undefined);
      if (!shutdown.signal.aborted) await once(shutdown.signal, 'abort');
      await running.close();
      shutdown.dispose();
    } finally {
      await ctx.close();
    }
  });
}
