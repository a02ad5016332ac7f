import { Option, type Command } from 'commander';
import { listDeadLetters, type DeadLetterFilter } from '../lib/batches/dead-letters';
import { UsageError } from '../lib/errors/usage-error';
import { inputSchemas, type Operation } from '../lib/feishu/hire-schemas';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { enqueueRows } from '../lib/batches/enqueue-batch';
import {
  addConnectionOptions,
  configFrom,
  openQueueContext,
  type ConnectionFlags,
  type QueueContext,
} from './cli-context';
import { openRowWriter } from '../lib/rows/row-writer';

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

/** One operation per export/replay: a file holds one operation's fields. */
function singleOperation(
  letters: { data: { operation: Operation } }[],
  flags: DlqFlags,
): Operation | undefined {
  const ops = new Set(letters.map((l) => l.data.operation));
  if (ops.size > 1)
    throw new UsageError(
      'dead letters of both operations match: add --operation create or --operation terminate',
    );
  return flags.operation ?? [...ops][0];
}

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
      process.stderr.write(`${letters.length} dead letter(s)\n`);
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
      .description('write the inputs as a file the producers accept (.csv or .ndjson), to fix and enqueue')
      .requiredOption('--out <file>', 'the file to write'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const letters = await listDeadLetters(ctx.queues.deadLetter, filterOf(flags));
      const operation = singleOperation(letters, flags) ?? 'create';
      const writer = openRowWriter(flags.out!, operation, [], '--out');
      for (const { data } of letters) writer.write(data.input);
      await writer.close();
      process.stderr.write(
        `wrote ${letters.length} row(s) to ${flags.out}; after fixing: hire-queue enqueue ${operation} --file ${flags.out}\n`,
      );
    }),
  );

  withFilters(
    dlq
      .command('replay')
      .description('enqueue dead letters again (new batch); each leaves the DLQ once its job is enqueued')
      .option('--into <batch>', 'batch id for the replayed jobs'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const letters = await listDeadLetters(ctx.queues.deadLetter, filterOf(flags));
      if (letters.length === 0) {
        process.stderr.write('no dead letters match\n');
        return;
      }
      const operation = singleOperation(letters, flags)!;
      const batchId = checkBatchId(flags.into ?? newBatchId(`replay-${operation}`));
      await ctx.batches.create({ batchId, operation, createdAtMs: Date.now(), source: 'dead-letter replay' });
      let line = 0;
      for (const letter of letters) {
        const input = inputSchemas[operation].parse(letter.data.input);
        await enqueueRows(ctx.queues, ctx.batches, batchId, operation, [{ line: ++line, input }]);
        await letter.remove();
      }
      await ctx.batches.seal(batchId);
      process.stderr.write(`replayed ${letters.length} dead letter(s) as batch ${batchId}\n`);
      process.stdout.write(`${batchId}\n`);
    }),
  );

  withFilters(
    dlq
      .command('purge')
      .description('delete matching dead letters')
      .option('--yes', 'required: confirms the deletion'),
  ).action((flags: DlqFlags) =>
    withContext(flags, async (ctx) => {
      const letters = await listDeadLetters(ctx.queues.deadLetter, filterOf(flags));
      if (!flags.yes)
        throw new UsageError(`${letters.length} dead letter(s) match; add --yes to delete them`);
      for (const letter of letters) await letter.remove();
      process.stderr.write(`purged ${letters.length} dead letter(s)\n`);
    }),
  );
}
