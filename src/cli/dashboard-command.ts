import type { Command } from 'commander';
import { once } from 'node:events';
import { startDashboard } from '../lib/fleet/dashboard-server';
import { addConnectionOptions, configFrom, openQueueContext, type ConnectionFlags } from './cli-context';
import { parsePort } from './option-parsers';
import { watchShutdown } from './shutdown';

export function registerDashboardCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('dashboard')
      .description(
        'Bull Board over the create, terminate and dead-letter queues (basic auth from HIRE_DASHBOARD_USER/PASSWORD)',
      )
      .option('--port <n>', 'port to listen on', parsePort, 3000)
      .option(
        '--host <host>',
        'address to listen on (beyond loopback only with credentials set)',
        '127.0.0.1',
      ),
  ).action(async (flags: ConnectionFlags & { port: number; host: string }) => {
    const ctx = await openQueueContext(configFrom(flags));
    const user = process.env.HIRE_DASHBOARD_USER;
    const password = process.env.HIRE_DASHBOARD_PASSWORD;
    try {
      const dashboard = await startDashboard({
        queues: ctx.queues,
        port: flags.port,
        host: flags.host,
        credentials: user && password ? { user, password } : undefined,
      });
      process.stderr.write(`hire-queue: dashboard on ${dashboard.url}/${user ? ' (basic auth)' : ''}\n`);
      const shutdown = watchShutdown(() => undefined);
      if (!shutdown.signal.aborted) await once(shutdown.signal, 'abort');
      await dashboard.close();
      shutdown.dispose();
    } finally {
      await ctx.close();
    }
  });
}
