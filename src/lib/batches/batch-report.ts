import type { Queue } from 'bullmq';
import type { BatchState, BatchStore } from './batch-store';
import type { DeadLetter } from '../model/dead-letter';
import type { Operation } from '../feishu/hire-schemas';
import type { JobStatus } from '../model/job-outcome';

/** The report of a batch; `hire-queue run --json` and `batch ID --json` print exactly this. */
export interface BatchReport {
  batchId: string;
  operation: Operation;
  source?: string;
  /** Every file (or other source) the batch took rows from, in the order it took them. */
  files: string[];
  /** `running`, `paused`, `cancelled` or `finished`. */
  state: BatchState;
  /**
   * False while a producer is still adding rows, or when one stopped before the end of its input
   * (interrupted, Redis full): the counts are not the whole file's. Enqueuing the same input into
   * the same batch adds the rest.
   */
  allRowsIn: boolean;
  counts: {
    total: number;
    succeeded: number;
    alreadyDone: number;
    /** Terminate rows not called because the application moved after `if_not_updated_since`. */
    skipped: number;
    deadLettered: number;
    /** Rows never called because the batch was cancelled. */
    cancelled: number;
    invalid: number;
    pending: number;
  };
  /** Of succeeded: how many were established by reconciliation after an ambiguous attempt. */
  reconciled: number;
  startedAt: string;
  finishedAt?: string;
  elapsedMs: number;
  /** Rows finished per second over the elapsed time. */
  ratePerSecond: number;
  deadLetters: {
    line: number;
    file?: string;
    input: Record<string, unknown>;
    code: string;
    message: string;
    logId?: string;
    reason?: string;
  }[];
  invalid: { line: number; file?: string; errors: string[] }[];
}

/** One accepted row and where it stands, for the results file. */
export interface ResultRow {
  line: number;
  /** The row's file, when the batch knows it (a batch may take rows from several). */
  file?: string;
  input: Record<string, unknown>;
  status: JobStatus | 'invalid' | 'pending';
  applicationId?: string;
  code?: string;
  message?: string;
}

/**
 * Builds the report from the batch's rows and outcomes, row by row (a row repeated in the file
 * counts each time). `eachRow` sees every row in line order, for the results file.
 */
export async function buildBatchReport(
  batches: BatchStore,
  deadLetterQueue: Queue<DeadLetter>,
  batchId: string,
  eachRow?: (row: ResultRow) => void | Promise<void>,
): Promise<BatchReport | undefined> {
  const meta = await batches.meta(batchId);
  if (!meta) return undefined;
  const counts = {
    total: 0,
    succeeded: 0,
    alreadyDone: 0,
    skipped: 0,
    deadLettered: 0,
    cancelled: 0,
    invalid: 0,
    pending: 0,
  };
  let reconciled = 0;
  const deadLetters: BatchReport['deadLetters'] = [];
  let lastFinishedMs = 0;

  // Sorted by source, then line: merged with the rows, which come in the order the batch took them.
  const invalidRows = await batches.invalidRows(batchId);
  let nextInvalid = 0;
  const emitInvalidUpTo = async (source: number, line: number) => {
    while (nextInvalid < invalidRows.length) {
      const bad = invalidRows[nextInvalid]!;
      if (bad.source > source || (bad.source === source && bad.line >= line)) return;
      nextInvalid++;
      await eachRow?.({
        line: bad.line,
        ...(bad.file !== undefined ? { file: bad.file } : {}),
        input: (bad.input as Record<string, unknown>) ?? {},
        status: 'invalid',
        message: bad.errors.join('; '),
      });
    }
  };

  for await (const chunk of batches.rowsWithOutcomes(batchId)) {
    for (const row of chunk) {
      await emitInvalidUpTo(row.source, row.line);
      counts.total++;
      const outcome = row.outcome;
      const where = { line: row.line, ...(row.file !== undefined ? { file: row.file } : {}) };
      if (!outcome) {
        counts.pending++;
        await eachRow?.({ ...where, input: row.input, status: 'pending' });
        continue;
      }
      counts[outcome.status]++;
      if (outcome.reconciled) reconciled++;
      lastFinishedMs = Math.max(lastFinishedMs, Date.parse(outcome.finishedAt));
      if (outcome.status === 'deadLettered') {
        const letter = await deadLetterQueue.getJob(row.jobId);
        deadLetters.push({
          ...where,
          input: row.input,
          code: outcome.code ?? 'UNKNOWN',
          message: outcome.message ?? '',
          ...(outcome.logId ? { logId: outcome.logId } : {}),
          ...(letter?.data.reason ? { reason: letter.data.reason } : {}),
        });
      }
      await eachRow?.({
        ...where,
        input: row.input,
        status: outcome.status,
        ...(outcome.applicationId ? { applicationId: outcome.applicationId } : {}),
        ...(outcome.code && outcome.status !== 'succeeded' ? { code: outcome.code } : {}),
        ...(outcome.message && outcome.status !== 'succeeded' ? { message: outcome.message } : {}),
      });
    }
  }
  await emitInvalidUpTo(Number.POSITIVE_INFINITY, 0);
  counts.invalid = invalidRows.length;
  counts.total += invalidRows.length;

  const cancelled = meta.control === 'cancelled';
  const done = counts.pending === 0 && (meta.sealed || cancelled);
  const finishedAtMs = done
    ? (meta.finishedAtMs ?? (lastFinishedMs || meta.sealedAtMs || Date.now()))
    : undefined;
  if (finishedAtMs !== undefined && meta.finishedAtMs === undefined)
    await batches.markFinished(batchId, finishedAtMs);
  const elapsedMs = Math.max(0, (finishedAtMs ?? Date.now()) - meta.createdAtMs);
  const finishedRows = counts.succeeded + counts.alreadyDone + counts.skipped + counts.deadLettered;
  return {
    batchId,
    operation: meta.operation,
    ...(meta.source !== undefined ? { source: meta.source } : {}),
    files: await batches.sourceNames(batchId),
    state: cancelled ? 'cancelled' : done ? 'finished' : meta.control,
    allRowsIn: meta.sealed || cancelled,
    counts,
    reconciled,
    startedAt: new Date(meta.createdAtMs).toISOString(),
    ...(finishedAtMs !== undefined ? { finishedAt: new Date(finishedAtMs).toISOString() } : {}),
    elapsedMs,
    ratePerSecond: elapsedMs > 0 ? Math.round((finishedRows / elapsedMs) * 10_000) / 10 : 0,
    deadLetters,
    invalid: invalidRows.map((r) => ({
      line: r.line,
      ...(r.file !== undefined ? { file: r.file } : {}),
      errors: r.errors,
    })),
  };
}
