import { inputSchemas, requiredFields } from '../feishu/hire-schemas';
import type { OperationHandler } from './operation-handler';
import { findActiveApplication, findOwnCreatedApplication } from './reconcile-ambiguous';

/**
 * 创建投递: a talent's application to a job. Nothing is read before the call. A duplicate answer
 * (1002206) after an ambiguous call is ours if the active application was created after our first
 * call began; with `existing: adopt` any active one is taken. The application made or adopted
 * enters the ledger, so a nightly sync skips the row next time.
 */
export const createApplication: OperationHandler<'create'> = {
  operation: 'create',
  schema: inputSchemas.create,
  requiredFields: requiredFields.create,
  endpoint: 'create',
  limitsOf: (config) => config.createLimits,
  readsBeforeCall: false,
  preCheck: () => Promise.resolve({ verdict: 'go' }),
  call: (client, input, control) => client.createApplication(input, control),
  async reconcile(how, input, journal, client) {
    if (how !== 'ownApplication') return undefined;
    const applicationId = await findOwnCreatedApplication(client, input, journal);
    return applicationId === undefined ? undefined : { applicationId };
  },
  findExisting: (client, input) => findActiveApplication(client, input),
  // The one failure a read tells ahead: the talent has an active application on the job (1002206).
  async checkAhead(client, input, control) {
    const existing = await findActiveApplication(client, input, control);
    if (existing === undefined) return { verdict: 'wouldSucceed' };
    return {
      verdict: 'wouldFail',
      code: '1002206',
      reason: `the talent already has an active application on job ${input.job_id}: ${existing}`,
      applicationId: existing,
      why: 'duplicate',
    };
  },
  ledgerEntry(input, outcome) {
    if (!outcome.applicationId) return undefined;
    return {
      talent_id: input.talent_id,
      job_id: input.job_id,
      application_id: outcome.applicationId,
      at: Date.now(),
      how: outcome.status === 'succeeded' ? 'created' : 'adopted',
    };
  },
};
