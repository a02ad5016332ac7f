import {
  inputSchemas,
  requiredFields,
  type TerminateApplicationInput,
  type TerminateJobInput,
} from '../feishu/hire-schemas';
import type { CallControl, FeishuClient } from '../feishu/feishu-client';
import { FeishuApiError } from '../feishu/feishu-api-error';
import type {
  CheckContext,
  CheckFinding,
  OperationHandler,
  PreCheck,
  PreCheckContext,
} from './operation-handler';
import { applicationMovedSince, movedSinceReason, wasTerminatedByUs } from './reconcile-ambiguous';

/**
 * 终止投递: ends an application. A row with `if_not_updated_since` is a close-out: it is skipped
 * if someone moved the application since the list was made. With the row's job (`job_id`), that
 * is checked at the call's slot against the fleet's listing of the job, so the call leaves within
 * a second of a listing that showed the application untouched; without it, by a read of the
 * application now. A 1002221 after an ambiguous call is ours if the application was modified
 * after our first call began.
 */
export const terminateApplication: OperationHandler<'terminate'> = {
  operation: 'terminate',
  schema: inputSchemas.terminate,
  requiredFields: requiredFields.terminate,
  endpoint: 'terminate',
  limitsOf: (config) => config.terminateLimits,
  readsBeforeCall: true,
  preCheck: closeOutGuard,
  checkAhead,
  call: (client, input, control) => client.terminateApplication(callInputOf(input), control),
  async reconcile(how, input, journal, client) {
    if (how !== 'ownTermination') return undefined;
    return (await wasTerminatedByUs(client, input.application_id, journal)) ? {} : undefined;
  },
};

async function closeOutGuard(
  input: TerminateJobInput,
  { client, updatedSince }: PreCheckContext,
): Promise<PreCheck> {
  const { job_id: jobOfRow, if_not_updated_since: cutoffMs, application_id: applicationId } = input;
  if (cutoffMs === undefined) return { verdict: 'go' };
  if (jobOfRow === undefined || !updatedSince) {
    const moved = await applicationMovedSince(client, applicationId, cutoffMs);
    return moved ? { verdict: 'skip', reason: moved } : { verdict: 'go' };
  }
  return {
    verdict: 'checkAtSend',
    check: async () => {
      const checked = await updatedSince.check(jobOfRow, cutoffMs, applicationId);
      if (checked.verdict === 'moved') return checked.reason;
      // Not among the job's applications as listed: the listing cannot vouch for it; read it.
      if (checked.verdict === 'notOfJob')
        return applicationMovedSince(client, applicationId, cutoffMs).then(
          (moved) => moved && `${moved} (not one of job ${jobOfRow}'s applications: read on its own)`,
        );
      return undefined;
    },
  };
}

/**
 * A termination ahead of its call: a termination reason Feishu does not list, or an application
 * it does not know, would fail; one no longer
 * active is done already; a close-out row whose application moved since its cutoff would be
 * skipped by the guard.
 */
async function checkAhead(
  client: FeishuClient,
  input: TerminateJobInput,
  control: CallControl,
  context: CheckContext,
): Promise<CheckFinding> {
  const reasons = input.termination_reason_list ?? [];
  if (reasons.length > 0) {
    const known = await context.terminationReasonIds();
    const unknown = reasons.filter((id) => !known.has(id));
    if (unknown.length > 0)
      return {
        verdict: 'wouldFail',
        code: '1002002',
        reason: `termination reason ${unknown.join(', ')} not found among Feishu's termination reasons`,
        why: 'unknownReason',
      };
  }
  let application;
  try {
    application = await client.getApplication(input.application_id, control);
  } catch (error) {
    // Feishu answers an unknown application id with a parameter error, as the terminate call would.
    if (error instanceof FeishuApiError && error.rule('terminate').kind === 'permanent')
      return {
        verdict: 'wouldFail',
        code: String(error.feishuCode ?? `HTTP_${error.httpStatus}`),
        reason: error.feishuMsg,
        // Reading one application by its id, a parameter error says the id is not Feishu's.
        why: error.feishuCode === 1002002 ? 'notFound' : 'refused',
      };
    throw error;
  }
  if (application.active_status !== 1)
    return {
      verdict: 'alreadyDone',
      code: '1002221',
      reason: 'already terminated (no longer active)',
      why: 'terminated',
    };
  const moved =
    input.if_not_updated_since === undefined
      ? undefined
      : movedSinceReason(application, input.if_not_updated_since);
  return moved ? { verdict: 'skipped', reason: moved, why: 'moved' } : { verdict: 'wouldSucceed' };
}

/** What Feishu is sent of a terminate job: everything but hire-queue's own guard. */
function callInputOf(input: TerminateJobInput): TerminateApplicationInput {
  const { if_not_updated_since: _guard, job_id: _job, ...call } = input;
  return call;
}
