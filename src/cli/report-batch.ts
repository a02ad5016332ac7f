import { buildBatchReport, type BatchReport } from '../lib/batches/batch-report';
import { UnknownBatchError } from '../lib/errors/unknown-batch-error';
import type { QueueContext } from './cli-context';
import { exitCodeOf, printReport } from './print-report';
import { openRowWriter } from '../lib/rows/row-writer';
import { resultColumns, resultRecordOf } from '../lib/batches/result-rows';

/** Builds, writes (`--results`) and prints a batch's report; returns the exit code it calls for. */
export async function reportBatch(
  ctx: QueueContext,
  batchId: string,
  options: { json: boolean; results?: string },
): Promise<{ report: BatchReport; exitCode: number }> {
  const meta = await ctx.batches.meta(batchId);
  if (!meta) throw new UnknownBatchError(batchId, ctx.config.queuePrefix);
  const writer = options.results
    ? openRowWriter(options.results, meta.operation, resultColumns, 'resultsPath')
    : undefined;
  const report = await buildBatchReport(ctx.batches, ctx.queues.deadLetter, batchId, async (row) => {
    await writer?.write(resultRecordOf(row));
  });
  await writer?.close();
  printReport(report!, options.json);
  return { report: report!, exitCode: exitCodeOf(report!) };
}
