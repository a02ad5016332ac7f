import { DelayedError } from 'bullmq';
import { releaseParked } from '../batches/batch-control';
import type { Classification } from '../feishu/classify-outcome';
import type { Operation } from '../feishu/hire-schemas';
import type { JournalState } from '../job-state/attempt-journal';
import type { JobRef } from '../job-state/job-events';
import type { JobOutcome } from '../model/job-outcome';
import type { RowSource } from '../model/hire-job';
import type { HireJob } from './decode-job';
import type { ProcessorDeps, RunningJob } from './running-job';

/** Why a call was not sent: its batch was paused or cancelled, or the worker is stopping. */
export type Hold = 'paused' | 'cancelled' | 'stopping';

/** A parked job wakes this often to look at its batch again, should a resume have missed it. */
const PARKED_RECHECK_MS = 3_600_000;

const now = () => new Date().toISOString();

export function outcome(
  status: 'succeeded' | 'alreadyDone' | 'skipped',
  facts: { applicationId?: string | undefined; logId?: string | undefined; code?: string; message?: string },
  reconciled = false,
): JobOutcome {
  return {
    status,
    ...(facts.applicationId ? { applicationId: facts.applicationId } : {}),
    ...(reconciled ? { reconciled: true } : {}),
    ...(status !== 'succeeded' && facts.code ? { code: facts.code } : {}),
    ...(status !== 'succeeded' && facts.message ? { message: facts.message } : {}),
    ...(facts.logId ? { logId: facts.logId } : {}),
    finishedAt: now(),
  };
}

/** Records the job's outcome (with the ledger entry its operation keeps); another run's stands. */
export function finish(run: RunningJob, result: JobOutcome): Promise<JobOutcome> {
  const made = run.handler.ledgerEntry?.(run.row.input, result);
  return run.deps.state.finish(run.ref, result, made);
}

/** What a dead letter knows of its row: all of it, or what could be read of a job's bad data. */
export interface LetterRow {
  operation: Operation;
  batchId?: string | undefined;
  line?: number | undefined;
  input?: unknown;
  /** The row's source in its batch and its line there. */
  origin?: { source: number; line: number } | undefined;
  /** The file and line a job of before 0.3 carried. */
  carriedSource?: RowSource | undefined;
}

/** Dead-letters the job with everything needed to fix and replay its row, and records the outcome. */
export async function deadLetter(
  job: HireJob,
  row: LetterRow,
  deps: ProcessorDeps,
  failure: Classification,
  reason: string,
  journal?: JournalState,
): Promise<JobOutcome> {
  const jobId = job.id!;
  const attempts = journal ? await deps.state.failures(jobId) : [];
  const last = attempts.at(-1);
  const result: JobOutcome = {
    status: 'deadLettered',
    code: failure.code,
    message: failure.message,
    ...(last?.logId ? { logId: last.logId } : {}),
    finishedAt: now(),
  };
  const source = row.carriedSource ?? (await sourceOf(row, deps));
  const input = row.input;
  const ref: JobRef = {
    jobId,
    operation: row.operation,
    batchId: row.batchId,
    line: row.line,
    attempt: job.attemptsMade + 1,
    startedAtMs: job.processedOn,
  };
  return deps.state.deadLetter(
    ref,
    {
      jobId,
      batchId: row.batchId ?? 'unknown',
      operation: row.operation,
      input: input && typeof input === 'object' ? { ...(input as Record<string, unknown>) } : {},
      ...(source ? { source } : {}),
      code: failure.code,
      message: failure.message,
      ...(last?.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}),
      ...(last?.logId ? { logId: last.logId } : {}),
      reason,
      attemptsMade: job.attemptsMade + 1,
      attempts,
      ...(journal?.firstCallAtMs ? { firstAttemptAt: new Date(journal.firstCallAtMs).toISOString() } : {}),
      deadLetteredAt: now(),
    },
    result,
  );
}

/** A row's file and line: its batch stores them with the row and names its sources. */
async function sourceOf(row: LetterRow, deps: ProcessorDeps): Promise<RowSource | undefined> {
  const line = row.origin?.line ?? row.line;
  if (line === undefined) return undefined;
  const file =
    row.batchId === undefined
      ? undefined
      : await deps.batches.sourceName(row.batchId, row.origin?.source ?? 1);
  return file === undefined ? { line } : { file, line };
}

/**
 * A job whose call may not go now: recorded `cancelled`, parked until its batch resumes (in line
 * order), or released for another worker. Neither spends an attempt.
 */
export async function hold(run: RunningJob, reason: Hold): Promise<JobOutcome> {
  const { job, token, row, deps } = run;
  if (reason === 'cancelled') return finish(run, { status: 'cancelled', finishedAt: now() });
  if (reason === 'stopping') {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
  const control = await deps.state.park(row.batchId, job.id!, row.line);
  if (control === 'cancelled') return hold(run, 'cancelled');
  await job.moveToDelayed(Date.now() + (control === 'paused' ? PARKED_RECHECK_MS : 0), token);
  // Resumed between our look and the park: the resume may not have seen this job delayed yet.
  if (control === 'paused' && (await deps.batches.controlOf(row.batchId)) === 'running')
    await releaseParked(deps, row.batchId);
  throw new DelayedError();
}
