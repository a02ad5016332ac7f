import { DelayedError, type Job } from 'bullmq';
import type { RedisClient } from '../redis/redis-connection';
import pRetry from 'p-retry';
import type { BatchStore } from '../batches/batch-store';
import { releaseParked } from '../batches/batch-control';
import { addDeadLetter } from '../batches/dead-letters';
import { BatchHeldError } from '../errors/batch-held-error';
import { WorkerStoppingError } from '../errors/worker-stopping-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { classifyOutcome, type Classification } from '../feishu/classify-outcome';
import type { Reconciliation } from '../feishu/code-rules';
import type { CallControl, FeishuClient } from '../feishu/feishu-client';
import {
  describeIssues,
  type TerminateApplicationInput,
  type TerminateJobInput,
} from '../feishu/hire-schemas';
import type { ApplicationLedger } from '../ledger/application-ledger';
import type { Logger } from '../logger';
import type { HireMetrics } from '../operations/hire-metrics';
import type { RedisKeys } from '../redis/redis-keys';
import { AttemptJournal, type AttemptRecord, type JournalState } from './attempt-journal';
import { decideAfterFailure, type FailureDecision } from './failure-decision';
import { hireJobDataSchema, type HireJobData, type RowSource } from './hire-job';
import type { HireQueues } from './hire-queues';
import type { JobOutcome } from './job-outcome';
import {
  applicationMovedSince,
  findActiveApplication,
  findOwnCreatedApplication,
  wasTerminatedByUs,
} from './reconcile-ambiguous';
import { attemptsAllowed, type RetryPolicy } from './retry-policy';

export interface ProcessorDeps {
  client: FeishuClient;
  redis: RedisClient;
  keys: RedisKeys;
  batches: BatchStore;
  queues: HireQueues;
  /** Remembers every application a create job made or adopted. */
  ledger: ApplicationLedger;
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
  | { ok: false; held: Hold };

/** A parked job wakes this often to look at its batch again, should a resume have missed it. */
const PARKED_RECHECK_MS = 3_600_000;

/**
 * One job, end to end: call Feishu under the limiter, classify the failure once, decide
 * (`decideAfterFailure`), act. Every job ends completed with an outcome (succeeded, already
 * done, dead-lettered), or waits (rate limited, fleet halted) without spending an attempt, or
 * fails this attempt so BullMQ backs off.
 */
export async function processHireJob(
  job: Job<HireJobData, JobOutcome>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobOutcome> {
  const jobId = job.id!;
  const parsed = hireJobDataSchema.safeParse(job.data);
  if (!parsed.success) {
    const failure = classifyOutcome(
      'create',
      new InvalidInputError(describeIssues(parsed.error), 'job data'),
    );
    return deadLetter(job, deps, failure, 'invalid job data');
  }
  const data = parsed.data as HireJobData;
  // A worker that died after recording the outcome but before completing the job: don't call again.
  const [known, settings] = await Promise.all([
    deps.batches.outcomeOf(data.batchId, jobId),
    deps.batches.settingsOf(data.batchId),
  ]);
  if (known) return known;

  const journal = new AttemptJournal(deps.redis, deps.keys, jobId);
  const before = deps.stopping?.aborted ? 'stopping' : settings.control;
  if (before !== 'running') return hold(job, token, deps, journal, before);
  const context = { job, token, deps, journal, data, adoptExisting: settings.existing === 'adopt' };

  if (data.operation === 'terminate' && data.input.if_not_updated_since !== undefined) {
    // Only before the first call: after one, the application's change may be our own.
    if ((await journal.state()).calls === 0) {
      try {
        const moved = await applicationMovedSince(
          deps.client,
          data.input.application_id,
          data.input.if_not_updated_since,
        );
        if (moved)
          return finish(job, deps, journal, { status: 'skipped', message: moved, finishedAt: now() });
      } catch (error) {
        return actOnFailure(context, classifyOutcome('read', error), error);
      }
    }
  }

  const attempt = await callWithQuickRetries(data, journal, deps);
  if ('held' in attempt) return hold(job, token, deps, journal, attempt.held);
  if (attempt.ok) {
    const { applicationId, logId } = attempt.result;
    return finish(job, deps, journal, outcome('succeeded', { applicationId, logId }));
  }
  return actOnFailure(context, attempt.failure, attempt.error);
}

interface JobContext {
  job: Job<HireJobData, JobOutcome>;
  token: string | undefined;
  deps: ProcessorDeps;
  journal: AttemptJournal;
  data: HireJobData;
  adoptExisting: boolean;
}

/** Does what `decideAfterFailure` decides for a classified failure. */
async function actOnFailure(
  context: JobContext,
  failure: Classification,
  error: unknown,
): Promise<JobOutcome> {
  const { job, token, deps, journal, data } = context;
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
    if (how.action === 'alreadyDone') return finish(job, deps, journal, outcome('alreadyDone', failure));
    if (how.action === 'deadLetter') return deadLetter(job, deps, failure, how.reason, journal);
    const existing =
      data.operation === 'create' ? await findActiveApplication(deps.client, data.input) : undefined;
    if (existing === undefined)
      return deadLetter(
        job,
        deps,
        failure,
        'duplicate reported, but no active application of this talent on this job was found: it was closed in between',
        journal,
      );
    return finish(job, deps, journal, outcome('alreadyDone', { ...failure, applicationId: existing }));
  };

  switch (decision.action) {
    case 'alreadyDone':
    case 'deadLetter':
    case 'adopt':
      return settle(decision);
    case 'reconcile': {
      const ours = await reconcile(decision.reconcile, data, state, deps.client);
      if (!ours) return settle(decision.ifNotOurs);
      return finish(
        job,
        deps,
        journal,
        outcome('succeeded', { applicationId: ours.applicationId, logId: failure.logId }, true),
      );
    }
    case 'waitForRateLimit':
      deps.logger.info(
        { jobId: job.id, batchId: data.batchId, code: failure.code, waitMs: decision.delayMs },
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
  job: Job<HireJobData, JobOutcome>,
  token: string | undefined,
  deps: ProcessorDeps,
  journal: AttemptJournal,
  reason: Hold,
): Promise<JobOutcome> {
  const { batchId } = job.data;
  if (reason === 'cancelled') return finish(job, deps, journal, { status: 'cancelled', finishedAt: now() });
  if (reason === 'stopping') {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
  const control = await deps.batches.park(batchId, job.id!, job.data.source?.line ?? 0);
  if (control === 'cancelled') return hold(job, token, deps, journal, 'cancelled');
  await job.moveToDelayed(Date.now() + (control === 'paused' ? PARKED_RECHECK_MS : 0), token);
  // Resumed between our look and the park: the resume may not have seen this job delayed yet.
  if (control === 'paused' && (await deps.batches.controlOf(batchId)) === 'running')
    await releaseParked(deps, batchId);
  throw new DelayedError();
}

/** Did an earlier call of this job do what the answer reports? Resolves with what it made, if so. */
async function reconcile(
  how: Reconciliation,
  data: HireJobData,
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

/** Calls once plus the policy's quick retries of transient failures; each call is journalled first. */
async function callWithQuickRetries(
  data: HireJobData,
  journal: AttemptJournal,
  deps: ProcessorDeps,
): Promise<CallAttempt> {
  const { policy } = deps;
  // The error pRetry gives up on is the one we classified last; anything else (Redis gone
  // while journalling) is not an answer from Feishu and fails the attempt as it is.
  const jobId = journal.jobId;
  let lastFailure: { error: unknown; classification: Classification } | undefined;
  let admitted = false;
  // The call is over: it no longer counts as in flight for its batch (sent with the journal's note).
  const endAdmission = async () => {
    if (!admitted) return;
    admitted = false;
    await deps.batches.callEnded(data.batchId, jobId);
  };
  const control: CallControl = {
    ...(deps.stopping ? { signal: deps.stopping } : {}),
    beforeSend: async () => {
      const batchControl = await deps.batches.admitCall(data.batchId, jobId);
      if (batchControl !== 'running') throw new BatchHeldError(data.batchId, batchControl);
      admitted = true;
    },
  };
  try {
    const result = await pRetry(
      async () => {
        // Stopping holds back calls not yet started. (Not p-retry's own signal: it would also turn
        // a call that just succeeded into an abort, and lose the success.)
        deps.stopping?.throwIfAborted();
        await journal.beginCall();
        try {
          const result: CallResult =
            data.operation === 'create'
              ? await deps.client.createApplication(data.input, control)
              : await deps.client.terminateApplication(callInputOf(data.input), control);
          await Promise.all([
            journal.endCall({ mayHaveTakenEffect: true, serverDateMs: result.serverDateMs }),
            endAdmission(),
          ]);
          return result;
        } catch (error) {
          if (holdOf(error) !== undefined) {
            await journal.endCall({ mayHaveTakenEffect: false });
            throw error;
          }
          const classification = classifyOutcome(data.operation, error);
          await journal.endCall({
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
    const held = holdOf(error);
    if (held !== undefined) return { ok: false, held };
    const failed = lastFailure as typeof lastFailure;
    if (failed === undefined || failed.error !== error) throw error;
    return { ok: false, failure: failed.classification, error };
  } finally {
    await endAdmission();
  }
}

/** What Feishu is sent of a terminate job: everything but hire-queue's own guard. */
function callInputOf(input: TerminateJobInput): TerminateApplicationInput {
  const { if_not_updated_since: _guard, ...call } = input;
  return call;
}

/** A row's file and line: jobs carry the line, their batch the file (jobs of older versions carried both). */
async function sourceOf(
  source: RowSource,
  batchId: string | undefined,
  deps: ProcessorDeps,
): Promise<RowSource> {
  if (source.file !== undefined || batchId === undefined) return source;
  const file = (await deps.batches.meta(batchId))?.file;
  return file === undefined ? source : { file, line: source.line };
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

/** One log line and one count per job outcome, as it is recorded. */
function reportOutcome(job: Job<HireJobData, JobOutcome>, deps: ProcessorDeps, outcome: JobOutcome): void {
  const operation = job.data?.operation === 'terminate' ? 'terminate' : 'create';
  const code = outcome.code ?? (outcome.status === 'succeeded' ? '0' : '');
  deps.metrics?.jobs.inc({ operation, outcome: outcome.status, code });
  deps.logger.info(
    {
      jobId: job.id,
      batchId: job.data?.batchId,
      operation,
      line: job.data?.source?.line,
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
  job: Job<HireJobData, JobOutcome>,
  deps: ProcessorDeps,
  journal: AttemptJournal,
  result: JobOutcome,
): Promise<JobOutcome> {
  const { data } = job;
  // Sent together on one connection, so Redis runs them in this order: the ledger knows the
  // application before the outcome is recorded; the journal goes in the same step as the outcome.
  const remembered =
    data.operation === 'create' && result.applicationId
      ? deps.ledger.record([
          {
            talent_id: data.input.talent_id,
            job_id: data.input.job_id,
            application_id: result.applicationId,
            at: Date.now(),
            how: result.status === 'succeeded' ? 'created' : 'adopted',
          },
        ])
      : undefined;
  const [, recorded] = await Promise.all([
    remembered,
    deps.batches.recordOutcome(job.data.batchId, job.id!, result, journal.keys),
  ]);
  if (recorded) {
    reportOutcome(job, deps, result);
    await deps.onOutcomeRecorded?.(job.data.batchId);
    return result;
  }
  // Another run of this job (one that outlived its lock) recorded first; its outcome stands.
  return (await deps.batches.outcomeOf(job.data.batchId, job.id!)) ?? result;
}

async function deadLetter(
  job: Job<HireJobData, JobOutcome>,
  deps: ProcessorDeps,
  failure: Classification,
  reason: string,
  journal?: AttemptJournal,
): Promise<JobOutcome> {
  const attempts = journal ? await journal.failures() : [];
  const state = journal ? await journal.state() : undefined;
  const last = attempts.at(-1);
  const batchId = typeof job.data?.batchId === 'string' ? job.data.batchId : undefined;
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
    operation: job.data?.operation === 'terminate' ? 'terminate' : 'create',
    input: { ...(job.data?.input ?? {}) },
    ...(job.data?.source ? { source: await sourceOf(job.data.source, batchId, deps) } : {}),
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
  if (recorded) {
    reportOutcome(job, deps, result);
    await deps.onOutcomeRecorded?.(batchId);
    return result;
  }
  const standing = await deps.batches.outcomeOf(batchId, job.id!);
  if (standing && standing.status !== 'deadLettered') await deps.queues.deadLetter.remove(job.id!);
  return standing ?? result;
}
