import type { Command } from 'commander';
import { createLogger } from '../lib/logger';
import { tellGroupIfBatchEnded } from '../lib/fleet/batch-notifier';
import { cancelBatch, pauseBatch, resumeBatch, type ControlResult } from '../lib/batches/batch-control';
import { listBatchSummaries } from '../lib/batches/batch-summaries';
import { approvalSummary, Approvals } from '../lib/access/approvals';
import {
  addConnectionOptions,
  configFrom,
  openQueueContext,
  type ConnectionFlags,
  type QueueContext,
} from './cli-context';
import { watchBatch } from './batch-progress';
import { confirm } from './confirm';
import { ExitCode } from './exit-codes';
import { reportBatch } from './report-batch';
import { UsageError } from './usage-error';
import { checkWritablePath } from '../lib/rows/row-writer';

interface BatchFlags extends ConnectionFlags {
  wait?: boolean;
  json?: boolean;
  results?: string;
  pause?: boolean;
  resume?: boolean;
  cancel?: boolean;
  yes?: boolean;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

async function listBatches(ctx: QueueContext, json: boolean): Promise<void> {
  // Batches waiting for a second person's approval in the console are listed too: nothing of them
  // is enqueued, and nothing here starts them (only an approval does).
  const waiting = (await new Approvals(ctx.redis, ctx.keys).unstarted()).map((approval) => {
    const { createdBy: _by, ...summary } = approvalSummary(approval);
    return summary;
  });
  const batches = [...waiting, ...(await listBatchSummaries(ctx.batches, 20))].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  );
  if (json) process.stdout.write(`${JSON.stringify({ batches })}\n`);
  else
    for (const b of batches)
      process.stdout.write(
        `${b.batchId}\t${b.operation}\t${b.state}\t${b.rows} rows, ${b.done}/${b.jobs} calls done\t${b.createdAt}\n`,
      );
}

/** `--pause`, `--resume` or `--cancel`: exits 0 once the change has taken effect. */
async function controlBatch(ctx: QueueContext, batchId: string, flags: BatchFlags): Promise<number> {
  let result: ControlResult & { cancelled?: number; notCalled?: number };
  if (flags.cancel) {
    if (!flags.yes) {
      if (!process.stdin.isTTY) {
        say(`not on a terminal: add --yes to cancel batch ${batchId}`);
        return ExitCode.usage;
      }
      const progress = await ctx.batches.progress(batchId);
      const pending = progress.jobs - progress.done;
      if (
        !(await confirm(`Cancel batch ${batchId}: ${pending} row(s) not done will not be called? [y/N] `))
      ) {
        say('not confirmed: nothing changed');
        return ExitCode.ok;
      }
    }
    result = await cancelBatch(ctx, batchId);
    await tellGroupIfBatchEnded(ctx, batchId, createLogger('hire-queue'));
    say(
      `batch ${batchId} cancelled: ${result.notCalled} call(s) will not be made; ${result.inFlight} call(s) in flight finish and are recorded (hire-queue batch ${batchId} counts every row)`,
    );
  } else if (flags.pause) {
    result = await pauseBatch(ctx, batchId);
    say(
      `batch ${batchId} paused: no new call starts; ${result.inFlight} call(s) in flight finish and are recorded. Resume: hire-queue batch ${batchId} --resume`,
    );
  } else {
    result = await resumeBatch(ctx, batchId);
    say(`batch ${batchId} resumed`);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return ExitCode.ok;
}

export function registerBatchCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('batch')
      .argument('[id]', 'the batch id (without it: the most recent batches)')
      .description('progress, report and control of a batch, however many workers run it')
      .option('--wait', 'wait until every row is done, showing progress on stderr')
      .option('--json', 'print the report as one JSON object')
      .option(
        '--results <file>',
        'write one line per input row with its status (.csv, .ndjson, .json, or .xlsx for Excel)',
      )
      .option('--pause', 'stop starting calls of the batch (calls in flight finish); rows keep their place')
      .option('--resume', 'resume a paused batch')
      .option('--cancel', 'cancel the batch: rows not called yet are reported cancelled (asks first)')
      .option('--yes', 'with --cancel: do not ask'),
  ).action(async (id: string | undefined, flags: BatchFlags) => {
    const controls = [flags.pause, flags.resume, flags.cancel].filter(Boolean).length;
    if (controls > 1) throw new UsageError('use one of --pause, --resume and --cancel');
    if (controls === 1 && id === undefined)
      throw new UsageError('name the batch: hire-queue batch ID --pause');
    if (flags.results) checkWritablePath(flags.results, 'resultsPath');
    const ctx = await openQueueContext(configFrom(flags));
    try {
      if (id === undefined) return await listBatches(ctx, Boolean(flags.json));
      if (controls === 1) {
        process.exitCode = await controlBatch(ctx, id, flags);
        return;
      }
      const approval = (await ctx.batches.meta(id))
        ? undefined
        : await new Approvals(ctx.redis, ctx.keys).get(id);
      if (approval && approval.state !== 'approved') {
        // Confirmed in the console above the approval threshold: it starts only when approved there.
        if (flags.json)
          process.stdout.write(`${JSON.stringify({ batchId: id, state: approval.state, approval })}\n`);
        say(
          `batch ${id} is ${approval.state}${approval.reason ? ` (${approval.reason})` : ''}: ${approval.count} rows asked by ${approval.requestedBy.name}; nothing is enqueued until another person approves it in the console`,
        );
        return;
      }
      if (flags.wait) await watchBatch(ctx, id);
      const { exitCode } = await reportBatch(ctx, id, {
        json: Boolean(flags.json),
        ...(flags.results ? { results: flags.results } : {}),
      });
      process.exitCode = exitCode;
    } finally {
      await ctx.close();
    }
  });
}
