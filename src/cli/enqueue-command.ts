import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BatchPriority, ExistingPolicy } from '../lib/batches/batch-store';
import type { EnqueueBatchResult } from '../lib/batches/enqueue-batch';
import { ifNotUpdatedSinceSchema, type Operation } from '../lib/feishu/hire-schemas';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { enqueueFile, type EnqueueFileResult } from '../producers/enqueue-file';
import type { InputFormat } from '../lib/rows/read-input-rows';
import {
  addConnectionOptions,
  configFrom,
  type ConnectionFlags,
  openQueueContext,
  type QueueContext,
} from './cli-context';
import { ExitCode } from './exit-codes';
import { registerStaleCommand } from './stale-command';

export interface FileFlags {
  file: string;
  batch?: string;
  strict?: boolean;
  dryRun?: boolean;
  format?: InputFormat;
  json?: boolean;
  priority?: BatchPriority;
  encoding?: string;
  existing?: ExistingPolicy;
  skipCreated?: boolean;
  ifNotUpdatedSince?: number;
}

const parseTime = (value: string): number => {
  const parsed = ifNotUpdatedSinceSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError('use a millisecond timestamp or an ISO time like 2026-11-01T00:00:00Z');
  return parsed.data;
};

/** The options only one operation's files take. */
export function operationOptions(command: Command, operation: Operation): Command {
  if (operation === 'create') {
    return command
      .addOption(
        new Option(
          '--existing <what>',
          "when an active application of the talent on the job exists: adopt it as the row's, or dead-letter the row",
        )
          .choices(['adopt', 'dead-letter'])
          .default('dead-letter'),
      )
      .option(
        '--skip-created',
        'rows whose talent and job hire-queue already created (or adopted) are already done: no call',
      );
  }
  return command.option(
    '--if-not-updated-since <time>',
    'terminate only applications not updated after this time (rows may carry their own if_not_updated_since)',
    parseTime,
  );
}

export function fileOptions(command: Command): Command {
  return command
    .requiredOption(
      '--file <path>',
      'CSV (header = API field names, lists joined with |), NDJSON or JSON array; - for stdin',
    )
    .option('--batch <id>', 'batch id (default: generated)', (v: string) => {
      try {
        return checkBatchId(v);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option('--strict', 'enqueue nothing if any row is bad (exit 2)')
    .option('--encoding <name>', "the file's encoding when not UTF-8: gbk, gb18030, utf16le, big5, ...")
    .addOption(
      new Option('--priority <level>', "this batch's rows against other batches' under the same limit")
        .choices(['high', 'normal', 'low'])
        .default('normal'),
    )
    .addOption(
      new Option('--format <format>', 'input format when the file name does not tell').choices([
        'csv',
        'ndjson',
        'json',
      ]),
    );
}

/** The object `enqueue --json` and `dlq replay --json` print. */
export function enqueueSummary(result: EnqueueBatchResult & { enqueued?: boolean }) {
  return {
    batchId: result.batchId,
    operation: result.operation,
    total: result.rows,
    accepted: result.accepted,
    alreadyQueued: result.alreadyQueued,
    alreadyDone: result.alreadyDone,
    enqueued: result.enqueued ?? true,
    invalid: result.invalidSample.map((row) => ({ line: row.line, errors: row.errors })),
  };
}

/** Prints what the producer did with the rows; returns the exit code it calls for. */
export function summarizeEnqueue(result: EnqueueFileResult, strict: boolean, quiet = false): number {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (!quiet) {
    const verb = result.enqueued ? 'enqueued' : 'would enqueue';
    const done =
      result.alreadyDone > 0 ? `, ${result.alreadyDone} already done in this batch (not called again)` : '';
    say(
      `batch ${result.batchId}: ${result.rows} rows read, ${result.accepted} ${strict && !result.enqueued ? 'valid' : verb}${done}, ${result.invalidCount} invalid`,
    );
    for (const bad of result.invalidSample) say(`  line ${bad.line}: ${bad.errors.join('; ')}`);
    if (result.invalidCount > result.invalidSample.length) {
      say(
        `  ... and ${result.invalidCount - result.invalidSample.length} more (hire-queue batch ${result.batchId} --json)`,
      );
    }
  }
  if (strict && result.invalidCount > 0) {
    say(`--strict: nothing was enqueued because ${result.invalidCount} row(s) are invalid`);
    return ExitCode.usage;
  }
  return result.invalidCount > 0 ? ExitCode.partial : ExitCode.ok;
}

export async function enqueueFromFile(
  ctx: QueueContext | undefined,
  operation: Operation,
  flags: FileFlags,
  signal?: AbortSignal,
) {
  const batchId = flags.batch ?? newBatchId(operation);
  return enqueueFile(ctx, {
    operation,
    path: flags.file,
    batchId,
    ...(flags.format ? { format: flags.format } : {}),
    ...(flags.strict ? { strict: true } : {}),
    ...(flags.priority ? { priority: flags.priority } : {}),
    ...(flags.encoding ? { encoding: flags.encoding } : {}),
    ...(flags.existing ? { existing: flags.existing } : {}),
    ...(flags.skipCreated ? { skipCreated: true } : {}),
    ...(flags.ifNotUpdatedSince !== undefined ? { ifNotUpdatedSince: flags.ifNotUpdatedSince } : {}),
    ...(flags.json ? { invalidSampleSize: Number.POSITIVE_INFINITY } : {}),
    ...(signal ? { signal } : {}),
    ...(flags.dryRun && !flags.json
      ? {
          onDryRunRow: (row) => process.stdout.write(`${JSON.stringify({ line: row.line, ...row.input })}\n`),
        }
      : {}),
  });
}

export function registerEnqueueCommand(program: Command): void {
  const enqueue = program
    .command('enqueue')
    .description('enqueue a batch: from a file (create, terminate) or stale applications (stale)');
  for (const operation of ['create', 'terminate'] as const) {
    addConnectionOptions(
      operationOptions(
        fileOptions(
          enqueue.command(operation).description(`enqueue ${operation} application jobs from a file`),
        ),
        operation,
      )
        .option(
          '--dry-run',
          'validate and print what would be enqueued (NDJSON on stdout; with --json the summary object); touch nothing',
        )
        .option('--json', 'print one JSON object: batchId, operation, total, accepted, invalid'),
    ).action(async (flags: FileFlags & ConnectionFlags) => {
      if (flags.dryRun) {
        const checked = await enqueueFromFile(undefined, operation, flags);
        process.exitCode = summarizeEnqueue(checked, Boolean(flags.strict), Boolean(flags.json));
        if (flags.json) process.stdout.write(`${JSON.stringify(enqueueSummary(checked))}\n`);
        return;
      }
      const ctx = await openQueueContext(configFrom(flags));
      try {
        const result = await enqueueFromFile(ctx, operation, flags);
        process.exitCode = summarizeEnqueue(result, Boolean(flags.strict), Boolean(flags.json));
        if (flags.json) process.stdout.write(`${JSON.stringify(enqueueSummary(result))}\n`);
        else if (result.enqueued) process.stdout.write(`${result.batchId}\n`);
      } finally {
        await ctx.close();
      }
    });
  }
  registerStaleCommand(enqueue);
}
