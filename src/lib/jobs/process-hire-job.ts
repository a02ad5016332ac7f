import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import pRetry, { AbortError } from 'p-retry';
import { AttemptJournal, type AttemptRecord } from './attempt-journal';
import type { BatchStore } from '../batches/batch-store';
import { classifyOutcome, type Classification } from '../feishu/classify-outcome';
import { addDeadLetter } from '../batches/dead-letters';
import { FeishuApiError } from '../errors/feishu-api-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { NetworkError } from '../errors/network-error';
import type { FeishuClient } from '../feishu/feishu-client';
import { hireJobDataSchema, type HireJobData } from './hire-job';
import type { HireQueues } from './hire-queues';
import { describeIssues } from '../feishu/hire-schemas';
import type { JobOutcome } from './job-outcome';
import type { Logger } from '../logger';
import { findOwnCreatedApplication, wasTerminatedByUs } from './reconcile-ambiguous';
import type { RedisKeys } from '../redis/redis-keys';
import type { RetryPolicy } from './retry-policy';

export interface ProcessorDeps {
  client: FeishuClient;
  redis: Redis;
  keys: RedisKeys;
  queues: HireQueues;
  batches: BatchStore;
  policy: RetryPolicy;
  logger: Logger;
  /** The whole fleet must stop: credentials, allow-list, scope or quota. */
  onFleetFatal(classification: Classification): Promise<void>;
}

type CallResult = { applicationId?: string; logId: string | undefined };

/**
 * One job, end to end: call Feishu under the limiter, classify, and act. Every job ends
 * completed with an outcome (succeeded, already done, dead-lettered), or waits (rate limited,
 * fleet halted) without spending an attempt, or fails this attempt so BullMQ backs off.
 */
export async function processHireJob(
  job: Job<HireJobData, JobOutcome>,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobOutcome> {
  const jobId = job.id!;
  const parsed = hireJobDataSchema.safeParse(job.data);
  if (!parsed.success) {
    const error = new InvalidInputError(describeIssues(parsed.error), 'job data');
    return deadLetter(job, deps, classifyOutcome('create', error), 'invalid job data');
  }
  const data = parsed.data as HireJobData;
  // A worker that died after recording the outcome but before completing the job: don't call again.
  const known = await deps.redis.hget(deps.keys.batch(data.batchId).outcomes, jobId);
  if (known) return JSON.parse(known) as JobOutcome;

  const journal = new AttemptJournal(deps.redis, deps.keys, jobId);
  let failure: unknown;
  try {
    const result = await callWithQuickRetries(data, journal, deps);
    return finish(job, deps, journal, {
      status: 'succeeded',
      ...(result.applicationId ? { applicationId: result.applicationId } : {}),
      ...(result.logId ? { logId: result.logId } : {}),
      finishedAt: new Date().toISOString(),
    });
  } catch (error) {
    failure = error;
  }

  const classification = classifyOutcome(data.operation, failure);
  const facts = failure instanceof FeishuApiError ? failure : undefined;
  switch (classification.kind) {
    case 'success':
      // classifyOutcome answers success only when there was no error, and there was one.
      throw failure;
    case 'alreadyDone': {
      const state = await journal.state();
      if (data.operation === 'terminate' && state.ambiguous) {
        if (await wasTerminatedByUs(deps.client, data.input.application_id, state)) {
          return finish(job, deps, journal, succeeded(facts, { reconciled: true }));
        }
      }
      return finish(job, deps, journal, {
        status: 'alreadyDone',
        code: classification.code,
        message: classification.message,
        ...(facts?.logId ? { logId: facts.logId } : {}),
        finishedAt: new Date().toISOString(),
      });
    }
    case 'permanent': {
      if (data.operation === 'create' && facts?.feishuCode === 1002206) {
        const state = await journal.state();
        if (state.ambiguous) {
          const own = await findOwnCreatedApplication(deps.client, data.input, state);
          if (own)
            return finish(job, deps, journal, succeeded(facts, { reconciled: true, applicationId: own }));
          return deadLetter(
            job,
            deps,
            classification,
            'duplicate: the active application was created before this job first called',
            journal,
          );
        }
        return deadLetter(
          job,
          deps,
          classification,
          'duplicate: an active application of this talent on this job exists',
          journal,
        );
      }
      return deadLetter(job, deps, classification, 'permanent error', journal);
    }
    case 'rateLimited':
      // Not a failure: back in line once Feishu's window allows, without spending an attempt.
      await job.moveToDelayed(Date.now() + (classification.retryAfterMs ?? 1000), token);
      throw new DelayedError();
    case 'fatal':
      await deps.onFleetFatal(classification);
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    case 'transient':
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        return deadLetter(
          job,
          deps,
          classification,
          `retries exhausted after ${job.attemptsMade + 1} attempts`,
          journal,
        );
      }
      throw failure;
  }
}

function succeeded(
  facts: FeishuApiError | undefined,
  extra: { reconciled: boolean; applicationId?: string },
): JobOutcome {
  return {
    status: 'succeeded',
    ...extra,
    ...(facts?.logId ? { logId: facts.logId } : {}),
    finishedAt: new Date().toISOString(),
  };
}

/** An ambiguous call may have taken effect: no answer, or a 5xx / 1002001 answer. */
function isAmbiguous(error: unknown): boolean {
  if (error instanceof NetworkError) return error.reason !== 'ECONNREFUSED';
  if (error instanceof FeishuApiError) return error.httpStatus >= 500 || error.feishuCode === 1002001;
  return false;
}

async function callWithQuickRetries(
  data: HireJobData,
  journal: AttemptJournal,
  deps: ProcessorDeps,
): Promise<CallResult> {
  const { policy } = deps;
  return pRetry(
    async () => {
      await journal.beginCall();
      try {
        const result: CallResult =
          data.operation === 'create'
            ? await deps.client.createApplication(data.input)
            : await deps.client.terminateApplication(data.input);
        await journal.endCall(true, (result as { serverDateMs?: number }).serverDateMs);
        return result;
      } catch (error) {
        const classification = classifyOutcome(data.operation, error);
        const facts = error instanceof FeishuApiError ? error : undefined;
        const record = classification.kind === 'rateLimited' ? undefined : toRecord(classification, facts);
        await journal.endCall(!isAmbiguous(error), facts?.serverDateMs, record);
        if (classification.kind !== 'transient') throw new AbortError(error as Error);
        deps.logger.debug({ code: classification.code }, 'transient failure, retrying');
        throw error;
      }
    },
    {
      retries: policy.quickRetries,
      minTimeout: policy.quickMinDelayMs,
      maxTimeout: policy.quickMaxDelayMs,
      maxRetryTime: policy.quickMaxTotalMs,
      randomize: true,
    },
  );
}

function toRecord(classification: Classification, facts: FeishuApiError | undefined): AttemptRecord {
  return {
    at: new Date().toISOString(),
    code: classification.code,
    message: classification.message,
    ...(facts ? { httpStatus: facts.httpStatus } : {}),
    ...(facts?.logId ? { logId: facts.logId } : {}),
  };
}

async function finish(
  job: Job<HireJobData, JobOutcome>,
  deps: ProcessorDeps,
  journal: AttemptJournal,
  outcome: JobOutcome,
): Promise<JobOutcome> {
  await deps.batches.recordOutcome(job.data.batchId, job.id!, outcome);
  await journal.forget();
  return outcome;
}

async function deadLetter(
  job: Job<HireJobData, JobOutcome>,
  deps: ProcessorDeps,
  classification: Classification,
  reason: string,
  journal?: AttemptJournal,
): Promise<JobOutcome> {
  const attempts = journal ? await journal.failures() : [];
  const state = journal ? await journal.state() : undefined;
  const last = attempts.at(-1);
  await addDeadLetter(deps.queues.deadLetter, {
    jobId: job.id!,
    batchId: String(job.data?.batchId ?? 'unknown'),
    operation: job.data?.operation === 'terminate' ? 'terminate' : 'create',
    input: { ...(job.data?.input ?? {}) },
    ...(job.data?.source ? { source: job.data.source } : {}),
    code: classification.code,
    message: classification.message,
    ...(last?.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}),
    ...(last?.logId ? { logId: last.logId } : {}),
    reason,
    attemptsMade: job.attemptsMade + 1,
    attempts,
    ...(state?.firstCallAtMs ? { firstAttemptAt: new Date(state.firstCallAtMs).toISOString() } : {}),
    deadLetteredAt: new Date().toISOString(),
  });
  const outcome: JobOutcome = {
    status: 'deadLettered',
    code: classification.code,
    message: classification.message,
    ...(last?.logId ? { logId: last.logId } : {}),
    finishedAt: new Date().toISOString(),
  };
  if (job.data?.batchId) await deps.batches.recordOutcome(job.data.batchId, job.id!, outcome);
  await journal?.forget();
  return outcome;
}
