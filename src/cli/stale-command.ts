import { InvalidArgumentError, type Command } from 'commander';
import type { TerminationType } from '../lib/feishu/hire-schemas';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { enqueueBatch } from '../lib/batches/enqueue-batch';
import {
  checkTerminationReasons,
  findStaleApplicationIds,
  acceptedRows,
  parseAge,
  terminateInputs,
} from '../producers/stale-applications';
import { addConnectionOptions, configFrom, type ConnectionFlags, openFeishuContext } from './cli-context';
import { confirm } from './confirm';
import { ExitCode } from './exit-codes';
import { openRowWriter } from '../lib/rows/row-writer';

interface StaleFlags {
  jobId: string;
  stageId?: string;
  olderThan: string;
  terminationType: TerminationType;
  reasonId: string[];
  note?: string;
  dryRun?: boolean;
  out?: string;
  yes?: boolean;
  batch?: string;
}

const parseTerminationType = (value: string): TerminationType => {
  if (value === '1' || value === '22' || value === '27') return Number(value) as TerminationType;
  throw new InvalidArgumentError('use 1 (we rejected), 22 (candidate declined) or 27 (other)');
};

export function registerStaleCommand(enqueue: Command): void {
  addConnectionOptions(
    enqueue
      .command('stale')
      .description("terminate a job's active applications not updated for a while (asks before enqueuing)")
      .requiredOption('--job-id <id>', 'the job whose applications to close')
      .option('--stage-id <id>', 'only applications in this stage')
      .requiredOption('--older-than <age>', 'not updated for at least this long: 30d, 12h, 2w')
      .requiredOption(
        '--termination-type <type>',
        '1 we rejected, 22 candidate declined, 27 other',
        parseTerminationType,
      )
      .option('--reason-id <id...>', 'termination reason id(s)', [])
      .option('--note <text>', 'termination note')
      .option('--dry-run', 'show what would be terminated; enqueue nothing')
      .option(
        '--out <file>',
        'write the list as a terminate file (.csv or .ndjson) to review and enqueue later',
      )
      .option('--yes', 'enqueue without asking')
      .option('--batch <id>', 'batch id (default: generated)'),
  ).action(async (flags: StaleFlags & ConnectionFlags) => {
    const olderThanMs = parseAge(flags.olderThan);
    const batchId = checkBatchId(flags.batch ?? newBatchId('terminate'));
    const ctx = await openFeishuContext(configFrom(flags));
    try {
      await checkTerminationReasons(ctx.client, flags.terminationType, flags.reasonId);
      const { ids, cutoffMs } = await findStaleApplicationIds(ctx.client, {
        jobId: flags.jobId,
        ...(flags.stageId ? { stageId: flags.stageId } : {}),
        olderThanMs,
      });
      const say = (line: string) => process.stderr.write(`${line}\n`);
      say(
        `${ids.length} active application(s) of job ${flags.jobId}${flags.stageId ? ` in stage ${flags.stageId}` : ''} not updated since ${new Date(cutoffMs).toISOString()}`,
      );
      for (const id of ids.slice(0, 20)) say(`  ${id}`);
      if (ids.length > 20) say(`  ... and ${ids.length - 20} more`);
      const inputs = terminateInputs(
        ids,
        flags.terminationType,
        flags.reasonId,
        flags.note,
        cutoffMs,
        flags.jobId,
      );
      if (flags.out) {
        const writer = openRowWriter(flags.out, 'terminate', [], 'outPath');
        // A person reviews this file: the guard reads as a time, and goes back in as one.
        for (const input of inputs)
          await writer.write({ ...input, if_not_updated_since: new Date(cutoffMs).toISOString() });
        await writer.close();
        say(
          `wrote ${inputs.length} row(s) to ${flags.out}; enqueue with: hire-queue enqueue terminate --file ${flags.out}`,
        );
        return;
      }
      if (flags.dryRun || ids.length === 0) {
        say(flags.dryRun ? 'dry run: nothing enqueued' : 'nothing to do');
        return;
      }
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          say('not on a terminal: pass --yes to enqueue, or --dry-run / --out FILE to review first');
          process.exitCode = ExitCode.usage;
          return;
        }
        if (
          !(await confirm(
            `Terminate these ${ids.length} application(s) (type ${flags.terminationType})? [y/N] `,
          ))
        ) {
          say('not confirmed: nothing enqueued');
          return;
        }
      }
      await enqueueBatch(
        ctx,
        {
          batchId,
          operation: 'terminate',
          // The cutoff names the listing: the same job listed again with another cutoff is another source.
          source: `stale applications of job ${flags.jobId} not updated since ${new Date(cutoffMs).toISOString()}`,
        },
        acceptedRows(inputs),
      );
      say(
        `enqueued ${inputs.length} termination(s) as batch ${batchId}; follow with: hire-queue batch ${batchId} --wait`,
      );
      process.stdout.write(`${batchId}\n`);
    } finally {
      await ctx.close();
    }
  });
}
