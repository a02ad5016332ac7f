import { DelayedError } from 'bullmq';
import type { Classification } from '../feishu/classify-outcome';
import type { JobOutcome } from '../model/job-outcome';
import { attemptsAllowed } from '../queues/retry-policy';
import { decideAfterFailure, type FailureDecision } from './failure-decision';
import type { RunningJob } from './running-job';
import { deadLetter, finish, outcome } from './settle-job';

type Settling = Extract<FailureDecision, { action: 'alreadyDone' | 'deadLetter' | 'adopt' }>;

/** Steps 5 and 6 after a failed call: decide once (`decideAfterFailure`), then do what it says. */
export async function actOnFailure(
  run: RunningJob,
  failure: Classification,
  error: unknown,
): Promise<JobOutcome> {
  const { job, token, deps, row, handler } = run;
  const journal = await deps.state.journal(run.ref.jobId);
  const decision = decideAfterFailure(failure, {
    attempt: job.attemptsMade + 1,
    attemptsAllowed: attemptsAllowed(deps.policy, job.opts.attempts),
    earlierCallMayHaveTakenEffect: journal.ambiguous,
    adoptExisting: run.adoptExisting,
  });
  deps.logger.debug({ jobId: job.id, code: failure.code, decision: decision.action }, 'call failed');

  const settle = async (how: Settling) => {
    if (how.action === 'alreadyDone') return finish(run, outcome('alreadyDone', failure));
    if (how.action === 'deadLetter') return deadLetter(job, row, deps, failure, how.reason, journal);
    const existing = await handler.findExisting?.(deps.client, row.input);
    if (existing === undefined)
      return deadLetter(
        job,
        row,
        deps,
        failure,
        'duplicate reported, but no active application of this talent on this job was found: it was closed in between',
        journal,
      );
    return finish(run, outcome('alreadyDone', { ...failure, applicationId: existing }));
  };

  switch (decision.action) {
    case 'alreadyDone':
    case 'deadLetter':
    case 'adopt':
      return settle(decision);
    case 'reconcile': {
      const ours = await handler.reconcile(decision.reconcile, row.input, journal, deps.client);
      if (!ours) return settle(decision.ifNotOurs);
      return finish(
        run,
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
