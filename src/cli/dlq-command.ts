import { Option, type Command } from 'commander';
import {
  exportDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  type DeadLetterFilter,
} from '../lib/batches/dead-letters';
import { replayDeadLetters } from '../producers/replay-dead-letters';
import type { Operation } from '../lib/feishu/hire-schemas';
import {
  addConnectionOptions,
  configFrom,
  openQueueContext,
  type ConnectionFlags,
  type QueueContext,
} from './cli-context';
import { enqueueSummary } from './enqueue-command';
import { ExitCode } from './exit-codes';
import { UsageError } from './usage-error';

interface DlqFlags extends ConnectionFlags {
  operation?: Operation;
  code?: string;
  batch?: string;
  json?: boolean;
  out?: string;
  into?: string;
  yes?: boolean;
}

const filterOf = (flags: DlqFlags): DeadLetterFilter => ({
  ...(flags.operation ? { operation: flags.operation } : {}),
  ...(flags.code ? { code: flags.code } : {}),
  ...(flags.batch ? { batchId: flags.batch } : {}),
});

function withFilters(command: Command): Command {
  return addConnectionOptions(
    command
      .addOption(new Option('--operation <op>', 'only create or terminate').choices(['create', 'terminate']))
      .option('--code <code>', 'only this Feishu code (or NETWORK, INVALID_INPUT, ...)')
      .option('--batch <id>', 'only this batch'),
  );
}

async function withContext(flags: DlqFlags, action: (ctx: QueueContext) => Promise<void>): Promise<void> {
  const ctx = await openQueueContext(configFrom(flags));
  try {
    await action(ctx);
  } finally {
    await ctx.close();
  }
}

const say = (line: string) => process.stderr.write(`${line}\n`);

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('inspect, export, replay or purge dead letters');

  withFilters(
    dlq.command('list').description('one line per dead letter').option('--json', 'one JSON object per line'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const letters = await listDeadLetters(ctx.queues.deadLetter, filterOf(flags));
      for (const { data: d } of letters) {
        if (flags.json) process.stdout.write(`${JSON.stringify(d)}\n`);
        else {
          const where = d.source
            ? `${d.source.file ?? ''}${d.source.file ? ':' : 'line '}${d.source.line}`
            : '';
          process.stdout.write(
            `${d.jobId}\t${d.operation}\t${d.code}\t${d.message}\t${d.batchId}\t${where}\n`,
          );
        }
      }
      say(`${letters.length} dead letter(s)`);
    }),
  );

  addConnectionOptions(
    dlq.command('show').argument('<jobId>').description('everything kept about one dead letter, as JSON'),
  ).action((jobId: string, flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const job = await ctx.queues.deadLetter.getJob(jobId);
      if (!job) throw new UsageError(`no dead letter ${jobId}`);
      process.stdout.write(`${JSON.stringify(job.data, null, 2)}\n`);
    }),
  );

  withFilters(
    dlq
      .command('export')
      .description(
        'write the inputs as a file the producers accept (.csv, .ndjson, .json, or .xlsx to fix in Excel), to fix and enqueue',
      )
      .requiredOption('--out <file>', 'the file to write'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const { count, operation, withoutInput } = await exportDeadLetters(
        ctx.queues.deadLetter,
        filterOf(flags),
        flags.out!,
      );
      say(
        count > 0
          ? `wrote ${count} row(s) to ${flags.out}; after fixing: hire-queue enqueue ${operation} --file ${flags.out}`
          : `wrote no rows to ${flags.out}`,
      );
      if (withoutInput.length > 0) {
        say(
          `${withoutInput.length} dead letter(s) hold no input (their batch was gone), not written: ${withoutInput.slice(0, 10).join(', ')}${withoutInput.length > 10 ? ', ...' : ''}`,
        );
        say(`  nothing to replay there; remove them with: hire-queue dlq purge --code INVALID_INPUT --yes`);
      }
    }),
  );

  withFilters(
    dlq
      .command('replay')
      .description('enqueue dead letters again (new batch); each leaves the DLQ once its job is enqueued')
      .option('--into <batch>', 'batch id for the replayed jobs')
      .option('--json', 'print one JSON object: batchId, operation, total, accepted, invalid'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const result = await replayDeadLetters(
        ctx,
        filterOf(flags),
        flags.into ? { intoBatchId: flags.into } : {},
      );
      if (!result) {
        say('no dead letters match');
        if (flags.json)
          process.stdout.write(`${JSON.stringify({ batchId: null, total: 0, accepted: 0, invalid: [] })}\n`);
        return;
      }
      say(`replayed ${result.accepted} dead letter(s) as batch ${result.batchId}`);
      if (result.kept.length > 0) {
        say(`${result.kept.length} dead letter(s) no longer valid, kept in the dead-letter queue:`);
        for (const kept of result.kept.slice(0, 20)) say(`  ${kept.jobId}: ${kept.errors.join('; ')}`);
        say(`  fix them with: hire-queue dlq export --out fix.csv ... then hire-queue enqueue`);
        process.exitCode = ExitCode.partial;
      }
      if (flags.json)
        process.stdout.write(`${JSON.stringify({ ...enqueueSummary(result), kept: result.kept })}\n`);
      else process.stdout.write(`${result.batchId}\n`);
    }),
  );

  withFilters(
    dlq
      .command('purge')
      .description('delete matching dead letters')
      .option('--yes', 'required: confirms the deletion'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      if (!flags.yes) {
        const count = (await listDeadLetters(ctx.queues.deadLetter, filterOf(flags))).length;
        throw new UsageError(`${count} dead letter(s) match; add --yes to delete them`);
      }
      say(`purged ${await purgeDeadLetters(ctx.queues.deadLetter, filterOf(flags))} dead letter(s)`);
    }),
  );
}
