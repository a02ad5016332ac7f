import { InvalidInputError } from '../errors/invalid-input-error';
import { classifyOutcome } from '../feishu/classify-outcome';
import { describeIssues, type Operation } from '../feishu/hire-schemas';
import type { HireRow } from '../model/hire-job';
import type { JobOutcome } from '../model/job-outcome';
import { handlerOf } from '../operations/operation-handlers';
import type { PreCheck } from '../operations/operation-handler';
import { actOnFailure } from './act-on-failure';
import { callFeishu } from './call-feishu';
import { decodeJob, type DecodedJob, type HireJob } from './decode-job';
import { jobRefOf, type ProcessorDeps, type RunningJob } from './running-job';
import { deadLetter, finish, hold, outcome } from './settle-job';

export type { ProcessorDeps } from './running-job';

/**
 * One job, end to end. Every job ends completed with an outcome (succeeded, already done, skipped,
 * dead-lettered, cancelled), or waits (paused, rate limited, fleet halted) without spending an
 * attempt, or fails this attempt so BullMQ backs off.
 *
 *  1. decode  what the job names: its batch and row (`decode-job.ts`)
 *  2. open    one Redis step: its outcome if it has one, its batch's control, its row's input, and
 *             the call's admission when nothing is read before it (`JobState.open`)
 *  3. check   its operation's pre-check, before the first call only (a close-out's guard)
 *  4. call    under the limiter, quick retries of transient failures; each call admitted by its
 *             batch and journalled in one step right before it leaves (`call-feishu.ts`)
 *  5. decide  a failure classified once and decided (`act-on-failure.ts`)
 *  6. settle  finish (outcome, ledger and journal in one step), dead-letter, hold, wait, or fail
 *             the attempt (`settle-job.ts`)
 *
 * Each state change is a `JobState` method; each outcome recorded is announced on its `events`,
 * where the log line, the counts and the group bot listen. What differs by operation is its
 * handler's (`operations/`).
 */
export async function processHireJob(
  job: HireJob,
  token: string | undefined,
  deps: ProcessorDeps,
): Promise<JobOutcome> {
  const decoded = decodeJob(job); // 1
  if (!decoded.ok) {
    const failure = classifyOutcome(decoded.operation, new InvalidInputError(decoded.errors, 'job data'));
    return deadLetter(job, { ...decoded, input: decoded.carried }, deps, failure, 'invalid job data');
  }

  const opened = await open(job, token, decoded, deps); // 2
  if ('settled' in opened) return opened.settled;
  const run = opened.running;
  if (opened.control !== 'running') return hold(run, opened.control);

  const check = await preCheck(run); // 3
  if ('settled' in check) return check.settled;

  const attempt = await callFeishu(run, check.verdict === 'checkAtSend' ? check.check : undefined); // 4
  if (attempt.ok) {
    const { applicationId, logId } = attempt.result;
    return finish(run, outcome('succeeded', { applicationId, logId }));
  }
  if ('moved' in attempt) return finish(run, outcome('skipped', { message: attempt.moved }));
  if ('held' in attempt) return hold(run, attempt.held);
  return actOnFailure(run, attempt.failure, attempt.error); // 5, 6
}

type Opened =
  { settled: JobOutcome } | { running: RunningJob; control: 'running' | 'paused' | 'cancelled' | 'stopping' };

/** Step 2: the job's state and row in one read; a job already ended, orphaned or invalid settles here. */
async function open(
  job: HireJob,
  token: string | undefined,
  decoded: DecodedJob,
  deps: ProcessorDeps,
): Promise<Opened> {
  const handler = handlerOf<Operation>(decoded.operation);
  const jobId = job.id!;
  const ref = { ...jobRefOf(job, decoded), batchId: decoded.batchId };
  // A call with no slot to wait for and nothing to read first leaves right after this read: its
  // admission is made in the same step, not in a round trip of its own.
  const admit =
    !handler.readsBeforeCall && deps.client.sendsAtOnce(handler.endpoint) && !deps.stopping?.aborted;
  const carries = decoded.carried !== undefined;
  const reading = await deps.state.open(decoded.batchId, jobId, carries ? undefined : decoded.line, admit);
  // A worker that died after recording the outcome but before completing the job: no call again.
  if (reading.outcome) return { settled: reading.outcome };
  if (!reading.batchKnown && !carries) {
    // Its batch's record is gone: nothing to read its row from nor to report it to. A dead letter
    // would hold no input; it is counted as lost under its batch instead (`hire-queue status`).
    if (reading.admitted) await deps.state.discardCall(jobId);
    return { settled: await deps.state.dropLost(ref) };
  }
  const origin = reading.origin;
  const input = handler.schema.safeParse(carries ? decoded.carried : reading.input);
  if (!input.success) {
    // No call will be made: the admission is taken back (recording the outcome ends the rest).
    if (reading.admitted) await deps.state.discardCall(jobId);
    const errors =
      reading.input === undefined && !carries
        ? [
            `line ${decoded.line} of batch ${decoded.batchId} is no longer in Redis (the batch expired, or Redis lost it)`,
          ]
        : describeIssues(input.error);
    const failure = classifyOutcome(decoded.operation, new InvalidInputError(errors, 'job data'));
    const row = { ...decoded, input: carries ? decoded.carried : reading.input, origin };
    return { settled: await deadLetter(job, row, deps, failure, 'invalid job data') };
  }
  const row = { ...decoded, input: input.data, ...(origin ? { origin } : {}) } as HireRow;
  const running: RunningJob = {
    job,
    token,
    deps,
    row,
    handler,
    ref,
    admittedAtOpen: reading.admitted,
    adoptExisting: reading.existing === 'adopt',
  };
  const control = deps.stopping?.aborted ? 'stopping' : reading.control;
  if (control !== 'running' && reading.admitted)
    await deps.state.endCall(decoded.batchId, jobId, { mayHaveTakenEffect: false });
  return { running, control };
}

/**
 * Step 3: the operation's check, only before the first call (after one, what the check reads may
 * have been changed by our own call).
 */
async function preCheck(run: RunningJob): Promise<{ settled: JobOutcome } | PreCheck> {
  const { deps, handler } = run;
  // An operation that reads nothing first has no check: its call may be admitted already.
  if (!handler.readsBeforeCall) return { verdict: 'go' };
  if ((await deps.state.journal(run.ref.jobId)).calls > 0) return { verdict: 'go' };
  let check: PreCheck;
  try {
    check = await handler.preCheck(run.row.input, deps);
  } catch (error) {
    // Only the read's failure is Feishu's; recording the skip below fails the attempt as it is.
    return { settled: await actOnFailure(run, classifyOutcome('read', error), error) };
  }
  if (check.verdict === 'skip')
    return { settled: await finish(run, outcome('skipped', { message: check.reason })) };
  return check;
}
