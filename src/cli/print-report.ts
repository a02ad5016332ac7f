import type { BatchReport } from '../lib/batches/batch-report';
import { ExitCode } from './exit-codes';

/** 0 when every row succeeded or was already done; 3 when some were invalid, dead-lettered or cancelled. */
export function exitCodeOf(report: BatchReport): number {
  const { invalid, deadLettered, cancelled } = report.counts;
  return invalid > 0 || deadLettered > 0 || cancelled > 0 || report.state === 'cancelled'
    ? ExitCode.partial
    : ExitCode.ok;
}

export function printReport(
  report: BatchReport,
  json: boolean,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  if (json) {
    out(JSON.stringify(report));
    return;
  }
  const c = report.counts;
  const more = report.files.length > 1 ? ` + ${report.files.length - 1} more file(s)` : '';
  out(
    `Batch ${report.batchId} (${report.operation}${report.source ? `, ${report.source}${more}` : ''}): ${report.state}`,
  );
  out(
    `  ${c.total} rows: ${c.succeeded} succeeded${report.reconciled ? ` (${report.reconciled} reconciled)` : ''}, ${c.alreadyDone} already done, ${c.skipped} skipped, ` +
      `${c.deadLettered} dead-lettered, ${c.cancelled} cancelled, ${c.invalid} invalid, ${c.pending} pending`,
  );
  out(`  elapsed ${(report.elapsedMs / 1000).toFixed(1)} s, ${report.ratePerSecond} rows/s`);
  if (!report.allRowsIn)
    out(
      `  not every row of the input is in yet: a producer is still adding rows, or stopped before the end of its file; enqueue the same file with --batch ${report.batchId} to add the rest`,
    );
  if (report.invalid.length > 0) {
    out(`  invalid rows (not enqueued):`);
    for (const row of report.invalid.slice(0, 20)) out(`    line ${row.line}: ${row.errors.join('; ')}`);
    if (report.invalid.length > 20)
      out(`    ... and ${report.invalid.length - 20} more (see --json or --results)`);
  }
  if (report.deadLetters.length > 0) {
    out(`  dead letters:`);
    for (const d of report.deadLetters.slice(0, 20)) {
      out(`    line ${d.line}: ${d.code} ${d.message}${d.logId ? ` (logid ${d.logId})` : ''}`);
    }
    if (report.deadLetters.length > 20) out(`    ... and ${report.deadLetters.length - 20} more`);
    out(
      `  inspect: hire-queue dlq list --batch ${report.batchId}   fix and re-run: hire-queue dlq export --batch ${report.batchId} --out fix.csv`,
    );
  }
}
