import { DelayedError, type Job } from 'bullmq';
import type { RedisClient } from '../redis/redis-connection';
import pRetry from 'p-retry';
import type { BatchStore } from '../batches/batch-store';
import { releaseParked } from '../batches/batch-control';
import { addDeadLetter } from '../batches/dead-letters';
import { ApplicationMovedError } from '../errors/application-moved-error';
import { BatchHeldError } from '../errors/batch-held-error';
import type { UpdatedSinceListing } from './updated-since-listing';
import { WorkerStoppingError } from '../errors/worker-stopping-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { classifyOutcome, type Classification } from '../feishu/classify-outcome';
import type { Reconciliation } from '../feishu/code-rules';
import type { CallControl, FeishuClient } from '../feishu/feishu-client';
import {
  describeIssues,
  inputSchemas,
  operations,
  type Operation,
  type TerminateApplicationInput,
  type TerminateJobInput,
} from '../feishu/hire-schemas';
import type { ApplicationLedger } from '../ledger/application-ledger';
import type { Logger } from '../logger';
import type { HireMetrics } from '../metrics/hire-metrics';
import type { RedisKeys } from '../redis/redis-keys';
import { AttemptJournal, type AttemptRecord, type JournalState } from '../journal/attempt-journal';
import { decideAfterFailure, type FailureDecision } from './failure-decision';
import {
  hireJobDataSchema,
  legacyHireJobDataSchema,
  type HireJobData,
  type HireRow,
  type LegacyHireJobData,
  type RowSource,
} from '../model/hire-job';
import type { HireQueues } from '../queues/hire-queues';
import type { JobOutcome } from '../model/job-outcome';
import {
  applicationMovedSince,
  findActiveApplication,
  findOwnCreatedApplication,
  wasTerminatedByUs,
} from './reconcile-ambiguous';
import { attemptsAllowed, type RetryPolicy } from '../queues/retry-policy';

export interface ProcessorDeps {
  client: FeishuClient;
  redis: RedisClient;
  keys: RedisKeys;
  batches: BatchStore;
  queues: HireQueues;
  /** Remembers every application a create job made or adopted. */
  ledger: ApplicationLedger;
  /** The close-out guard of rows that carry their job: one listing for the fleet, not a read per row. */
  updatedSince?: UpdatedSinceListing;
  policy: RetryPolicy;
  /** Aborted when the worker shuts down: calls not yet sent are not sent, their jobs released. */
  stopping?: AbortSignal;
  /** Counts each outcome (`hire_queue_jobs_total`). */
  metrics?: HireMetrics;
  /** After an outcome is recorded: the batch may have ended (the group is told once). */
  onOutcomeRecorded?: (batchId: string) => Promise<void>;
  logger: Logger;
  /** Feishu refuses every call, of this process (`scope: process`) or of the fleet: stop it. */
  onFatal(classification: Classification): Promise<void>;
}

interface CallResult {
  applicationId?: string;
  logId: string | undefined;
  serverDateMs: number | undefined;
}

/** Why a call was not sent: its batch was paused or cancelled, or the worker is stopping. */
type Hold = 'paused' | 'cancelled' | 'stopping';

type CallAttempt =
  | { ok: true; result: CallResult }
  | { ok: false; failure: Classification; error: unknown }
  | { ok: false; held: Hold }
  | { ok: false; moved: string };

/** A parked job wakes this often to look at its batch again, should a resume have missed it. */
const PARKED_RECHECK_MS = 3_600_000;

/**
 * One job, end to end: call Feishu under the limiter, classify the failure once, decide
 * (`decideAfterFailure`), act. Every job ends completed with an outcome (succeeded, already
 * done, dead-lettered), or waits (rate limited, fleet halted) without spending an attempt, or
 * fails this attempt so BullMQ backs off.
 */
export async function processHireJob(
  job: HireJob,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobOutcome> {
  const jobId = job.id!;
  const ref = rowRefOf(job);
  if (!ref.ok) {
    const failure = classifyOutcome(ref.operation, new InvalidInputError(ref.errors, 'job data'));
    return deadLetter(job, ref, deps, failure, 'invalid job data');
  }
  const journal = new AttemptJournal(deps.redis, deps.keys, jobId);
  // A create whose call has no slot to wait for leaves right after this read: its admission (see
  // `callWithQuickRetries`) is made here, in the same step, not in a round trip of its own. (A
  // terminate may first read its application, which only its input tells.)
  const admitting =
    ref.operation === 'create' && deps.client.sendsAtOnce('create') && !deps.stopping?.aborted
      ? journal
      : undefined;
  // One step: a worker that died after recording the outcome but before completing the job must
  // not call again; the batch's control and policy; the row's input, stored with the batch.
  const context = await deps.batches.jobContext(
    ref.batchId,
    jobId,
    ref.carried ? undefined : ref.line,
    admitting,
  );
  if (context.outcome) return context.outcome;
  if (!context.batchKnown && !ref.carried) {
    // Its batch's record is gone: nothing to read its row from nor to report it to. A dead letter
    // would hold no input; it is counted as lost under its batch instead (`hire-queue status`).
    if (context.admitted) await journal.discard();
    await deps.batches.noteLost(ref.batchId);
    deps.metrics?.jobs.inc({ operation: ref.operation, outcome: 'lost', code: 'BATCH_LOST' });
    deps.logger.error(
      { jobId, batchId: ref.batchId, operation: ref.operation, row: ref.line },
      'job of a lost batch dropped, no call made: its batch is no longer in Redis (expired or deleted)',
    );
    return {
      status: 'cancelled',
      code: 'BATCH_LOST',
      message: `batch ${ref.batchId} is no longer in Redis`,
      finishedAt: now(),
    };
  }
  const origin = context.origin;
  const input = inputSchemas[ref.operation].safeParse(ref.carried ?? context.input);
  if (!input.success) {
    // No call will be made: the admission is taken back (recording the outcome ends the rest).
    if (context.admitted) await journal.discard();
    const errors =
      context.input === undefined && !ref.carried
        ? [
            `line ${ref.line} of batch ${ref.batchId} is no longer in Redis (the batch expired, or Redis lost it)`,
          ]
        : describeIssues(input.error);
    return deadLetter(
      job,
      { ...ref, input: ref.carried ?? context.input, ...(origin ? { origin } : {}) },
      deps,
      classifyOutcome(ref.operation, new InvalidInputError(errors, 'job data')),
      'invalid job data',
    );
  }
  const row = { ...ref, input: input.data, ...(origin ? { origin } : {}) } as HireRow;

  const before = deps.stopping?.aborted ? 'stopping' : context.control;
  if (before !== 'running') {
    if (context.admitted) await endAdmissionOf(row, journal, deps, { mayHaveTakenEffect: false });
    return hold(job, row, token, deps, journal, before);
  }
  const jobContext = { job, row, token, deps, journal, adoptExisting: context.existing === 'adopt' };

  // The close-out guard, only before the first call (after one, the application's change may be
  // our own): with the row's job, checked at its slot against the fleet's listing of the job, so the
  // call leaves within a second of a listing that showed the application untouched; without it,
  // a read of the application now.
  let guardAtSend: (() => Promise<string | undefined>) | undefined;
  if (row.operation === 'terminate' && row.input.if_not_updated_since !== undefined) {
    const { job_id: jobOfRow, if_not_updated_since: cutoffMs, application_id: applicationId } = row.input;
    if ((await journal.state()).calls > 0) {
      // Nothing to check.
    } else if (jobOfRow !== undefined && deps.updatedSince) {
      const listing = deps.updatedSince;
      guardAtSend = async () => {
        const checked = await listing.check(jobOfRow, cutoffMs, applicationId);
        if (checked.verdict === 'moved') return checked.reason;
        // Not among the job's applications as listed: the listing cannot vouch for it; read it.
        if (checked.verdict === 'notOfJob')
          return applicationMovedSince(deps.client, applicationId, cutoffMs).then(
            (moved) => moved && `${moved} (not one of job ${jobOfRow}'s applications: read on its own)`,
          );
        return undefined;
      };
    } else {
      try {
        const moved = await applicationMovedSince(
          deps.client,
          row.input.application_id,
          row.input.if_not_updated_since,
        );
        if (moved)
          return finish(job, row, deps, journal, { status: 'skipped', message: moved, finishedAt: now() });
      } catch (error) {
        return actOnFailure(jobContext, classifyOutcome('read', error), error);
      }
    }
  }

  const attempt = await callWithQuickRetries(row, journal, deps, context.admitted, guardAtSend);
  if ('moved' in attempt)
    return finish(job, row, deps, journal, { status: 'skipped', message: attempt.moved, finishedAt: now() });
  if ('held' in attempt) return hold(job, row, token, deps, journal, attempt.held);
  if (attempt.ok) {
    const { applicationId, logId } = attempt.result;
    return finish(job, row, deps, journal, outcome('succeeded', { applicationId, logId }));
  }
  return actOnFailure(jobContext, attempt.failure, attempt.error);
}

type HireJob = Job<HireJobData | LegacyHireJobData, JobOutcome>;

/** What a job names: its batch, line and operation; a job of before 0.3 carries its input too. */
type RowRef = { operation: Operation; batchId: string; line: number; carried?: unknown };

/** The row a job stands for, or why its data cannot be read. */
function rowRefOf(
  job: HireJob,
): ({ ok: true } & RowRef) | { ok: false; operation: Operation; batchId?: string; errors: string[] } {
  const operation = operations.find((o) => o === job.queueName) ?? 'create';
  const current = hireJobDataSchema.safeParse(job.data);
  if (current.success) return { ok: true, operation, ...current.data };
  const legacy = legacyHireJobDataSchema.safeParse(job.data);
  if (legacy.success) {
    const { batchId, source, input } = legacy.data;
    return { ok: true, operation: legacy.data.operation, batchId, line: source?.line ?? 0, carried: input };
  }
  const batchId = (job.data as { batchId?: unknown } | undefined)?.batchId;
  return {
    ok: false,
    operation,
    ...(typeof batchId === 'string' ? { batchId } : {}),
    errors: describeIssues(current.error),
  };
}

/** A job whose call failed, with what deciding and acting on the failure needs. */
interface FailedJob {
  job: HireJob;
  row: HireRow;
  token: string | undefined;
  deps: ProcessorDeps;
  journal: AttemptJournal;
  adoptExisting: boolean;
}

/** Does what `decideAfterFailure` decides for a classified failure. */
async function actOnFailure(
  context: FailedJob,
  failure: Classification,
  error: unknown,
): Promise<JobOutcome> {
  const { job, token, deps, journal, row } = context;
  const state = await journal.state();
  const decision = decideAfterFailure(failure, {
    attempt: job.attemptsMade + 1,
    attemptsAllowed: attemptsAllowed(deps.policy, job.opts.attempts),
    earlierCallMayHaveTakenEffect: state.ambiguous,
    adoptExisting: context.adoptExisting,
  });
  deps.logger.debug({ jobId: job.id, code: failure.code, decision: decision.action }, 'call failed');

  const settle = async (
    how: Exclude<
      FailureDecision,
      { action: 'reconcile' | 'waitForRateLimit' | 'haltFleet' | 'stopProcess' | 'retryLater' }
    >,
  ) => {
    if (how.action === 'alreadyDone') return finish(job, row, deps, journal, outcome('alreadyDone', failure));
    if (how.action === 'deadLetter') return deadLetter(job, row, deps, failure, how.reason, journal);
    const existing =
      row.operation === 'create' ? await findActiveApplication(deps.client, row.input) : undefined;
    if (existing === undefined)
      return deadLetter(
        job,
        row,
        deps,
        failure,
        'duplicate reported, but no active application of this talent on this job was found: it was closed in between',
        journal,
      );
    return finish(job, row, deps, journal, outcome('alreadyDone', { ...failure, applicationId: existing }));
  };

  switch (decision.action) {
    case 'alreadyDone':
    case 'deadLetter':
    case 'adopt':
      return settle(decision);
    case 'reconcile': {
      const ours = await reconcile(decision.reconcile, row, state, deps.client);
      if (!ours) return settle(decision.ifNotOurs);
      return finish(
        job,
        row,
        deps,
        journal,
        outcome('succeeded', { applicationId: ours.applicationId, logId: failure.logId }, true),
      );
    }
    case 'waitForRateLimit':
      deps.logger.info(
        { jobId: job.id, batchId: row.batchId, code: failure.code, waitMs: decision.delayMs },
        'rate limited: waiting, no attempt spent',
      );
      await job.moveToDelayed(Date.now() + decision.delayMs, token);
      throw new DelayedError();
    case 'haltFleet':
      await deps.onFatal(failure);
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    case 'stopProcess':
      // Released at once: a healthy process takes it.
      await deps.onFatal(failure);
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    case 'retryLater':
      throw error;
  }
}

const now = () => new Date().toISOString();

/**
 * A job whose call may not go now: recorded `cancelled`, parked until its batch resumes (in line
 * order), or released for another worker. Neither spends an attempt.
 */
async function hold(
  job: HireJob,
  row: HireRow,
  token: string | undefined,
  deps: ProcessorDeps,
  journal: AttemptJournal,
  reason: Hold,
): Promise<JobOutcome> {
  const { batchId } = row;
  if (reason === 'cancelled')
    return finish(job, row, deps, journal, { status: 'cancelled', finishedAt: now() });
  if (reason === 'stopping') {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
  const control = await deps.batches.park(batchId, job.id!, row.line);
  if (control === 'cancelled') return hold(job, row, token, deps, journal, 'cancelled');
  await job.moveToDelayed(Date.now() + (control === 'paused' ? PARKED_RECHECK_MS : 0), token);
  // Resumed between our look and the park: the resume may not have seen this job delayed yet.
  if (control === 'paused' && (await deps.batches.controlOf(batchId)) === 'running')
    await releaseParked(deps, batchId);
  throw new DelayedError();
}

/** Did an earlier call of this job do what the answer reports? Resolves with what it made, if so. */
async function reconcile(
  how: Reconciliation,
  data: HireRow,
  state: JournalState,
  client: FeishuClient,
): Promise<{ applicationId?: string } | undefined> {
  if (how === 'ownApplication' && data.operation === 'create') {
    const applicationId = await findOwnCreatedApplication(client, data.input, state);
    return applicationId === undefined ? undefined : { applicationId };
  }
  if (how === 'ownTermination' && data.operation === 'terminate') {
    return (await wasTerminatedByUs(client, data.input.application_id, state)) ? {} : undefined;
  }
  return undefined;
}

function outcome(
  status: 'succeeded' | 'alreadyDone',
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
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Calls once plus the policy's quick retries of transient failures; each call is admitted by its
 * batch and journalled in one step right before it is sent.
 */
async function callWithQuickRetries(
  row: HireRow,
  journal: AttemptJournal,
  deps: ProcessorDeps,
  admittedWithContext: boolean,
  /** Checked at the first call's slot, before it is admitted: a reason stops the call. */
  guardAtSend?: () => Promise<string | undefined>,
): Promise<CallAttempt> {
  let guard = guardAtSend;
  const { policy } = deps;
  // The error pRetry gives up on is the one we classified last; anything else (Redis gone
  // while journalling) is not an answer from Feishu and fails the attempt as it is.
  let lastFailure: { error: unknown; classification: Classification } | undefined;
  // Admitted: the call counts as in flight for its batch, and its journal says it began.
  let admitted = admittedWithContext;
  // Admitted when the job was read, with nothing to wait for since: the first send needs no check.
  let admissionStillFresh = admittedWithContext;
  const endAdmission = async (ended: Parameters<AttemptJournal['endCall']>[0]) => {
    if (!admitted) return;
    admitted = false;
    await endAdmissionOf(row, journal, deps, ended);
  };
  const control: CallControl = {
    ...(deps.stopping ? { signal: deps.stopping } : {}),
    // The limiter may ask again for the same call (a slot given up, taken again): begun once.
    beforeSend: async () => {
      // At every slot until the call leaves (a late slot given up and taken again checks again).
      if (guard) {
        const moved = await guard();
        if (moved !== undefined) throw new ApplicationMovedError(moved);
      }
      if (admissionStillFresh) {
        admissionStillFresh = false;
        return;
      }
      const { control: batchControl } = await deps.batches.admitCall(
        row.batchId,
        journal.jobId,
        admitted ? undefined : journal,
      );
      if (batchControl !== 'running') throw new BatchHeldError(row.batchId, batchControl);
      admitted = true;
    },
  };
  try {
    const result = await pRetry(
      async () => {
        // Stopping holds back calls not yet started. (Not p-retry's own signal: it would also turn
        // a call that just succeeded into an abort, and lose the success.)
        deps.stopping?.throwIfAborted();
        try {
          const result: CallResult =
            row.operation === 'create'
              ? await deps.client.createApplication(row.input, control)
              : await deps.client.terminateApplication(callInputOf(row.input), control);
          guard = undefined;
          // Left as it is: the outcome, recorded next, ends the call and the journal in one step.
          // Should this worker die first, the journal still says a call was in flight, and the
          // job is reconciled before any new call.
          admitted = false;
          return result;
        } catch (error) {
          if (holdOf(error) !== undefined || error instanceof ApplicationMovedError) {
            await endAdmission({ mayHaveTakenEffect: false });
            throw error;
          }
          // Sent (or maybe sent): a retry's change may be our own call's, so no guard after it.
          guard = undefined;
          const classification = classifyOutcome(row.operation, error);
          await endAdmission({
            mayHaveTakenEffect: classification.ambiguous,
            serverDateMs: classification.serverDateMs,
            failure: classification.kind === 'rateLimited' ? undefined : toRecord(classification),
          });
          lastFailure = { error, classification };
          throw error;
        }
      },
      {
        retries: policy.quickRetries,
        minTimeout: policy.quickMinDelayMs,
        maxTimeout: policy.quickMaxDelayMs,
        maxRetryTime: policy.quickMaxTotalMs,
        randomize: true,
        shouldRetry: ({ error }) =>
          lastFailure?.error === error && lastFailure.classification.kind === 'transient',
      },
    );
    return { ok: true, result };
  } catch (error) {
    if (error instanceof ApplicationMovedError) return { ok: false, moved: error.reason };
    const held = holdOf(error);
    if (held !== undefined) return { ok: false, held };
    const failed = lastFailure as typeof lastFailure;
    if (failed === undefined || failed.error !== error) throw error;
    return { ok: false, failure: failed.classification, error };
  } finally {
    // Redis failing mid-call: the call may have gone.
    await endAdmission({ mayHaveTakenEffect: true });
  }
}

/** A call admitted but not sent, or sent and answered: its batch and journal no longer count it in flight. */
async function endAdmissionOf(
  row: HireRow,
  journal: AttemptJournal,
  deps: ProcessorDeps,
  ended: Parameters<AttemptJournal['endCall']>[0],
): Promise<void> {
  await Promise.all([journal.endCall(ended), deps.batches.callEnded(row.batchId, journal.jobId)]);
}

/** What Feishu is sent of a terminate job: everything but hire-queue's own guard. */
function callInputOf(input: TerminateJobInput): TerminateApplicationInput {
  const { if_not_updated_since: _guard, job_id: _job, ...call } = input;
  return call;
}

/**
 * A row's file and line: its batch stores them with the row (jobs of older versions carried both,
 * rows of older batches their line, the batch its file).
 */
async function sourceOf(
  job: HireJob,
  ref: DeadLetterRef,
  deps: ProcessorDeps,
): Promise<RowSource | undefined> {
  const carried = (job.data as Partial<LegacyHireJobData> | undefined)?.source;
  if (carried?.file !== undefined) return carried;
  const line = ref.origin?.line ?? ref.line;
  if (line === undefined) return undefined;
  const file =
    ref.batchId === undefined
      ? undefined
      : await deps.batches.sourceName(ref.batchId, ref.origin?.source ?? 1);
  return file === undefined ? { line } : { file, line };
}

/** The one test of whether an error means "not sent, on purpose". */
function holdOf(error: unknown): Hold | undefined {
  if (error instanceof BatchHeldError) return error.control;
  if (error instanceof WorkerStoppingError) return 'stopping';
  return undefined;
}

function toRecord(classification: Classification): AttemptRecord {
  return {
    at: new Date().toISOString(),
    code: classification.code,
    message: classification.message,
    ...(classification.httpStatus !== undefined ? { httpStatus: classification.httpStatus } : {}),
    ...(classification.logId ? { logId: classification.logId } : {}),
  };
}

/** An outcome this run recorded: its log line and count, then whoever waits for the batch's end. */
async function announce(
  job: HireJob,
  ref: DeadLetterRef,
  deps: ProcessorDeps,
  result: JobOutcome,
): Promise<JobOutcome> {
  reportOutcome(job, ref, deps, result);
  if (ref.batchId !== undefined) await deps.onOutcomeRecorded?.(ref.batchId);
  return result;
}

/** One log line and one count per job outcome, as it is recorded. */
function reportOutcome(job: HireJob, row: DeadLetterRef, deps: ProcessorDeps, outcome: JobOutcome): void {
  const { operation } = row;
  const code = outcome.code ?? (outcome.status === 'succeeded' ? '0' : '');
  deps.metrics?.jobs.inc({ operation, outcome: outcome.status, code });
  deps.logger.info(
    {
      jobId: job.id,
      batchId: row.batchId,
      operation,
      line: row.line,
      outcome: outcome.status,
      code,
      logId: outcome.logId,
      attempt: job.attemptsMade + 1,
      durationMs: Date.now() - job.processedOn!,
    },
    'job finished',
  );
}

async function finish(
  job: HireJob,
  data: HireRow,
  deps: ProcessorDeps,
  journal: AttemptJournal,
  result: JobOutcome,
): Promise<JobOutcome> {
  // One step: the outcome, the end of the journal, and the application the job made in the ledger.
  const ledger =
    data.operation === 'create' && result.applicationId
      ? deps.ledger.writeOf([
          {
            talent_id: data.input.talent_id,
            job_id: data.input.job_id,
            application_id: result.applicationId,
            at: Date.now(),
            how: result.status === 'succeeded' ? 'created' : 'adopted',
          },
        ])
      : undefined;
  const recorded = await deps.batches.recordOutcome(data.batchId, job.id!, result, journal.keys, ledger);
  if (ledger) await deps.ledger.written(ledger);
  if (recorded) return announce(job, data, deps, result);
  // Another run of this job (one that outlived its lock) recorded first; its outcome stands.
  return (await deps.batches.outcomeOf(data.batchId, job.id!)) ?? result;
}

/** What a dead letter knows of its row: all of it, or what could be read of a job's bad data. */
type DeadLetterRef = {
  operation: Operation;
  batchId?: string;
  line?: number;
  input?: unknown;
  /** The row's source in its batch and its line there. */
  origin?: { source: number; line: number };
};

async function deadLetter(
  job: HireJob,
  ref: DeadLetterRef,
  deps: ProcessorDeps,
  failure: Classification,
  reason: string,
  journal?: AttemptJournal,
): Promise<JobOutcome> {
  const attempts = journal ? await journal.failures() : [];
  const state = journal ? await journal.state() : undefined;
  const last = attempts.at(-1);
  const { batchId } = ref;
  const result: JobOutcome = {
    status: 'deadLettered',
    code: failure.code,
    message: failure.message,
    ...(last?.logId ? { logId: last.logId } : {}),
    finishedAt: new Date().toISOString(),
  };
  // The letter goes first so a crash cannot leave a dead-lettered row without its letter; one
  // whose job another run already ended otherwise is taken back.
  await addDeadLetter(deps.queues.deadLetter, {
    jobId: job.id!,
    batchId: batchId ?? 'unknown',
    operation: ref.operation,
    input: { ...(inputOf(job, ref) ?? {}) },
    ...(await sourceOf(job, ref, deps).then((source) => (source ? { source } : {}))),
    code: failure.code,
    message: failure.message,
    ...(last?.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}),
    ...(last?.logId ? { logId: last.logId } : {}),
    reason,
    attemptsMade: job.attemptsMade + 1,
    attempts,
    ...(state?.firstCallAtMs ? { firstAttemptAt: new Date(state.firstCallAtMs).toISOString() } : {}),
    deadLetteredAt: new Date().toISOString(),
  });
  if (batchId === undefined) return result;
  const recorded = await deps.batches.recordOutcome(batchId, job.id!, result, journal?.keys ?? []);
  if (recorded) return announce(job, ref, deps, result);
  const standing = await deps.batches.outcomeOf(batchId, job.id!);
  if (standing && standing.status !== 'deadLettered') await deps.queues.deadLetter.remove(job.id!);
  return standing ?? result;
}

/** The input a dead letter carries: the row's, or whatever a job of unreadable data held. */
function inputOf(job: HireJob, ref: DeadLetterRef): Record<string, unknown> | undefined {
  const input =
    ref.input ?? ('carried' in ref ? ref.carried : (job.data as { input?: unknown } | undefined)?.input);
  return input && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
}
