import pRetry from 'p-retry';
import { ApplicationMovedError } from '../errors/application-moved-error';
import { BatchHeldError } from '../errors/batch-held-error';
import { WorkerStoppingError } from '../errors/worker-stopping-error';
import { classifyOutcome, type Classification } from '../feishu/classify-outcome';
import type { CallControl } from '../feishu/feishu-client';
import type { AttemptRecord, CallEnd } from '../job-state/attempt-journal';
import type { CallResult } from '../operations/operation-handler';
import type { RunningJob } from './running-job';
import type { Hold } from './settle-job';

export type CallAttempt =
  | { ok: true; result: CallResult }
  | { ok: false; failure: Classification; error: unknown }
  | { ok: false; held: Hold }
  | { ok: false; moved: string };

/**
 * Step 4: calls once plus the policy's quick retries of transient failures. Each call is admitted
 * by its batch and begun in its journal in one step right before it is sent (at its limiter slot),
 * and its end journalled as it is answered.
 */
export async function callFeishu(
  run: RunningJob,
  /** Checked at the first call's slot, before it is admitted: a reason stops the call. */
  checkAtSend?: () => Promise<string | undefined>,
): Promise<CallAttempt> {
  const { row, deps, handler } = run;
  const { policy, state } = deps;
  const jobId = run.ref.jobId;
  let check = checkAtSend;
  // The error pRetry gives up on is the one we classified last; anything else (Redis gone
  // while journalling) is not an answer from Feishu and fails the attempt as it is.
  let lastFailure: { error: unknown; classification: Classification } | undefined;
  // Admitted: the call counts as in flight for its batch, and its journal says it began.
  let admitted = run.admittedAtOpen;
  // Admitted when the job was opened, with nothing to wait for since: the first send needs no check.
  let admissionStillFresh = run.admittedAtOpen;
  const endAdmission = async (ended: CallEnd) => {
    if (!admitted) return;
    admitted = false;
    await state.endCall(row.batchId, jobId, ended);
  };
  const control: CallControl = {
    ...(deps.stopping ? { signal: deps.stopping } : {}),
    // The limiter may ask again for the same call (a slot given up, taken again): begun once.
    beforeSend: async () => {
      // At every slot until the call leaves (a late slot given up and taken again checks again).
      if (check) {
        const moved = await check();
        if (moved !== undefined) throw new ApplicationMovedError(moved);
      }
      if (admissionStillFresh) {
        admissionStillFresh = false;
        return;
      }
      const batchControl = await state.admitCall(row.batchId, jobId, !admitted);
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
          const answer = await handler.call(deps.client, row.input, control);
          check = undefined;
          // Left as it is: the outcome, recorded next, ends the call and the journal in one step.
          // Should this worker die first, the journal still says a call was in flight, and the
          // job is reconciled before any new call.
          admitted = false;
          return answer;
        } catch (error) {
          if (holdOf(error) !== undefined || error instanceof ApplicationMovedError) {
            await endAdmission({ mayHaveTakenEffect: false });
            throw error;
          }
          // Sent (or maybe sent): a retry's change may be our own call's, so no check after it.
          check = undefined;
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
