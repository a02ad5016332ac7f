import { InvalidArgumentError, type Command } from 'commander';
import { operations, type Operation } from '../lib/feishu/hire-schemas';
import { createLogger } from '../lib/logger';
import { startWorkers } from '../workers/hire-worker';
import {
  addConnectionOptions,
  addMetricsOption,
  configFrom,
  openFeishuContext,
  startMetricsFor,
  type ConnectionFlags,
} from './cli-context';
import { ExitCode } from './exit-codes';
import { parsePositiveInt } from './option-parsers';
import { watchShutdown } from './shutdown';

export function parseOperations(value: string): Operation[] {
  const list = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  for (const op of list) {
    if (!(operations as readonly string[]).includes(op))
      throw new InvalidArgumentError(`"${op}" is not a queue; use create, terminate or both`);
  }
  return list as Operation[];
}

export function registerWorkCommand(program: Command): void {
  addMetricsOption(
    addConnectionOptions(
      program
        .command('work')
        .description(
          'run workers: drain the create and terminate queues under the fleet-wide limits until SIGINT/SIGTERM',
        )
        .option('--queues <list>', 'queues to work: create,terminate', parseOperations, [
          'create',
          'terminate',
        ] as Operation[])
        .option(
          '--concurrency <n>',
          'jobs at once per queue (default: from the limits: create 27, terminate 12)',
          parsePositiveInt,
        ),
    ),
  ).action(async (opts: { queues: Operation[]; concurrency?: number } & ConnectionFlags) => {
    const config = configFrom(opts);
    const ctx = await openFeishuContext(config);
    const logger = createLogger('hire-queue');
    let stopped: string | undefined;
    const metrics = await startMetricsFor(ctx, () => stopped).catch(async (error: unknown) => {
      await ctx.close();
      throw error;
    });
    const workers = await startWorkers({
      runtime: ctx,
      operations: opts.queues,
      logger,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    }).catch(async (error: unknown) => {
      await metrics?.close();
      await ctx.close();
      throw error;
    });
    logger.info(
      { queues: opts.queues, prefix: config.queuePrefix },
      'workers started; SIGINT or SIGTERM stops them gracefully',
    );
    const shutdown = watchShutdown();
    const ended = await Promise.race([
      new Promise<{ signal: string }>((resolve) =>
        shutdown.signal.addEventListener('abort', () => resolve({ signal: String(shutdown.signal.reason) })),
      ),
      workers.fatal.then((fatal) => {
        stopped = fatal.message;
        return { fatal };
      }),
    ]);
    await metrics?.close();
    await workers.close();
    await ctx.close();
    shutdown.dispose();
    if ('fatal' in ended) {
      console.error(`hire-queue: ${ended.fatal.message}`);
      console.error(
        ended.fatal.scope === 'process'
          ? 'hire-queue: this process stopped; its jobs went back to the queue for the rest of the fleet. Start it again once fixed.'
          : 'hire-queue: the queues are paused with their jobs kept; start `hire-queue work` again once fixed.',
      );
      process.exitCode = ExitCode.fatal;
      return;
    }
    logger.info({ signal: ended.signal }, 'workers stopped; calls in flight finished, other jobs released');
    process.exitCode = shutdown.exitCode() ?? ExitCode.ok;
  });
}
