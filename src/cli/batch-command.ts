import type { Command } from 'commander';
import { addConnectionOptions, configFrom, openQueueContext, type ConnectionFlags } from './cli-context';
import { waitForBatch } from './batch-progress';
import { reportBatch } from './report-batch';

interface BatchFlags extends ConnectionFlags {
  wait?: boolean;
  json?: boolean;
  results?: string;
}

export function registerBatchCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('batch')
      .argument('[id]', 'the batch id (without it: the most recent batches)')
      .description('progress and report of a batch, however many workers ran it')
      .option('--wait', 'wait until every row is done, showing progress on stderr')
      .option('--json', 'print the report as one JSON object')
      .option('--results <file>', 'write one line per input row with its status (.csv or .ndjson)'),
  ).action(async (id: string | undefined, flags: BatchFlags) => {
    const ctx = await openQueueContext(configFrom(flags));
    try {
      if (id === undefined) {
        const ids = await ctx.batches.listBatchIds(20);
        for (const batchId of ids) {
          const [meta, progress] = await Promise.all([
            ctx.batches.meta(batchId),
            ctx.batches.progress(batchId),
          ]);
          if (meta)
            process.stdout.write(
              `${batchId}\t${meta.operation}\t${progress.done}/${progress.jobs} done\t${new Date(meta.createdAtMs).toISOString()}\n`,
            );
        }
        return;
      }
      if (flags.wait) await waitForBatch(ctx.batches, id);
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
