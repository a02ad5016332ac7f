import type { Command } from 'commander';
import type { Operation } from '../lib/feishu/hire-schemas';
import { createLogger } from '../lib/logger';
import { startWorkers, verifyCredentials } from '../workers/hire-worker';
import { watchBatch } from './batch-progress';
import {
  addConnectionOptions,
  addMetricsOption,
  configFrom,
  openFeishuContext,
  startMetricsFor,
  type ConnectionFlags,
} from './cli-context';
import {
  enqueueFromFile,
  fileOptions,
  operationOptions,
  summarizeEnqueue,
  type FileFlags,
} from './enqueue-command';
import { ExitCode } from './exit-codes';
import { newBatchId } from '../lib/batches/batch-id';
import { parsePositiveInt } from './option-parsers';
import { reportBatch } from './report-batch';
import { watchShutdown } from './shutdown';
import { checkWritablePath } from '../lib/rows/row-writer';

/** How long a failed attempt stays on the progress line. */
const FAILURE_SHOWN_MS = 15_000;

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

export interface RunFlags extends FileFlags, ConnectionFlags {
  results?: string;
  concurrency?: number;
}

/** A whole batch in one process: enqueue, work, wait, report. What a cron entry calls. */
export async function runBatch(
  operation: Operation,
  flags: RunFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  // Where the results go is checked before anything is enqueued, not after the batch ran.
  if (flags.results) checkWritablePath(flags.results, 'resultsPath');
  const ctx = await openFeishuContext(configFrom(flags, env));
  // From the start: a Ctrl-C while the file is being read stops the enqueue at a chunk boundary.
  const shutdown = watchShutdown();
  let stopped: string | undefined;
  let metrics: Awaited<ReturnType<typeof startMetricsFor>>;
  try {
    metrics = await startMetricsFor(ctx, () => stopped);
    // Refused credentials end the run before anything is enqueued, and stop nothing else.
    if (!flags.dryRun) await verifyCredentials(ctx);
    const batchId = flags.batch ?? newBatchId(operation);
    // A paused batch runs nothing: waiting for it would hang a cron entry until someone resumes it.
    if ((await ctx.batches.meta(batchId))?.control === 'paused') {
      const message = `batch ${batchId} is paused: nothing of it would run. Resume it first (hire-queue batch ${batchId} --resume), or cancel it`;
      console.error(`hire-queue: ${message}`);
      if (flags.json) printJson({ batchId, operation, error: { code: 'BATCH_PAUSED', message } });
      return ExitCode.usage;
    }
    const enqueued = await enqueueFromFile(ctx, operation, { ...flags, batch: batchId }, shutdown.signal);
    if (shutdown.signal.aborted) {
      const message =
        `interrupted while enqueuing: ${enqueued.accepted} rows of batch ${batchId} enqueued. ` +
        `To go on: hire-queue run ${operation} --file ${flags.file} --batch ${batchId}`;
      console.error(`hire-queue: ${message}`);
      if (flags.json) printJson({ batchId, operation, error: { code: 'INTERRUPTED', message } });
      return shutdown.exitCode()!;
    }
    const rejected = summarizeEnqueue(enqueued, Boolean(flags.strict), Boolean(flags.json));
    if (!enqueued.enqueued) {
      if (flags.json)
        process.stdout.write(
          `${JSON.stringify({ batchId: enqueued.batchId, operation, rejected: true, invalid: enqueued.invalidSample })}\n`,
        );
      return rejected;
    }
    const workers = await startWorkers({
      runtime: ctx,
      operations: [operation],
      logger: createLogger('hire-queue', { level: process.env.LOG_LEVEL ?? 'warn' }),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    });
    const halted = new AbortController();
    const fatal = workers.fatal.then((error) => {
      halted.abort();
      return error;
    });
    // A failed attempt shows on the progress line for a while: a Feishu that stopped answering is
    // seen at once, not as a stalled count (the worker's own log lines are below `run`'s level).
    let lastFailure: { message: string; at: number } | undefined;
    for (const worker of workers.workers)
      worker.on('failed', (_job, error) => (lastFailure = { message: error.message, at: Date.now() }));
    const note = () =>
      lastFailure && Date.now() - lastFailure.at < FAILURE_SHOWN_MS
        ? `retrying after: ${lastFailure.message}`
        : undefined;
    try {
      void workers.fatal.then((error) => (stopped = error.message));
      await watchBatch(ctx, batchId, {
        signal: AbortSignal.any([halted.signal, shutdown.signal]),
        label: `${operation} ${batchId}`,
        note,
      });
    } finally {
      await workers.close();
    }
    const interrupted = shutdown.exitCode();
    if (interrupted !== undefined) {
      const progress = await ctx.batches.progress(batchId);
      console.error(
        `hire-queue: interrupted: ${progress.done} of ${progress.jobs} rows of batch ${batchId} done; the rest are released, not lost. ` +
          `To finish them: hire-queue run ${operation} --file ${flags.file} --batch ${batchId} (or hire-queue work)`,
      );
      // The partial report: what a cron line's .json file holds after a SIGTERM.
      if (flags.json || flags.results)
        await reportBatch(ctx, batchId, {
          json: Boolean(flags.json),
          ...(flags.results ? { results: flags.results } : {}),
        });
      return interrupted;
    }
    if (halted.signal.aborted) {
      const error = await fatal;
      console.error(`hire-queue: ${error.message}`);
      if (flags.json) printJson({ batchId, operation, error: { code: error.code, message: error.message } });
      console.error(
        error.scope === 'process'
          ? `hire-queue: batch ${batchId} stays queued for the rest of the fleet (hire-queue batch ${batchId} --wait); once fixed here, run this command again.`
          : `hire-queue: batch ${batchId} stays queued; once fixed, run \`hire-queue work\` and \`hire-queue batch ${batchId} --wait\`.`,
      );
      return ExitCode.fatal;
    }
    const { exitCode } = await reportBatch(ctx, batchId, {
      json: Boolean(flags.json),
      ...(flags.results ? { results: flags.results } : {}),
    });
    return exitCode;
  } finally {
    shutdown.dispose();
    await metrics?.close();
    await ctx.close();
  }
}

export function registerRunCommand(program: Command): void {
  for (const operation of ['create', 'terminate'] as const) {
    const run =
      program.commands.find((c) => c.name() === 'run') ??
      program
        .command('run')
        .description('enqueue, work, wait and report a whole batch in one process (for cron)');
    addMetricsOption(
      addConnectionOptions(
        operationOptions(
          fileOptions(
            run.command(operation).description(`${operation} applications from a file, start to finish`),
          ),
          operation,
        )
          .option('--json', 'print the report as one JSON object on stdout (progress goes to stderr)')
          .option(
            '--results <file>',
            'write one line per input row with its status (.csv, .ndjson, .json, or .xlsx for Excel)',
          )
          .option('--concurrency <n>', 'jobs at once', parsePositiveInt)
          .option(
            '--notify-webhook <url>',
            "a Feishu group bot's webhook: one message when the batch ends (env HIRE_NOTIFY_WEBHOOK)",
          ),
      ),
    ).action(async (flags: RunFlags) => {
      process.exitCode = await runBatch(operation, flags);
    });
  }
}
