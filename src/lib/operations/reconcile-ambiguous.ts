import type { CallControl, FeishuClient } from '../feishu/feishu-client';
import type { CreateApplicationInput } from '../feishu/hire-schemas';
import type { JournalState } from '../job-state/attempt-journal';

/**
 * What Feishu holds, read to decide what an answer means: was an earlier call of the job what the
 * answer reports, which application exists, has someone moved one.
 *
 * How far back from the first call, on Feishu's clock, a change still counts as ours. The offset
 * comes from `Date` headers, which have one-second resolution. @default 2000
 */
export const CLOCK_TOLERANCE_MS = 2000;

/** The instant the job's first call began, on Feishu's clock, less the tolerance. */
function firstCallOnServerClock(journal: JournalState, toleranceMs: number): number {
  return (journal.firstCallAtMs ?? Date.now()) + journal.serverOffsetMs - toleranceMs;
}

/**
 * A create answered 1002206 after an ambiguous attempt: is the active application of that talent
 * on that job ours (created after our first call began) or a real duplicate (created before)?
 */
export async function findOwnCreatedApplication(
  client: FeishuClient,
  input: CreateApplicationInput,
  journal: JournalState,
  toleranceMs = CLOCK_TOLERANCE_MS,
): Promise<string | undefined> {
  const since = firstCallOnServerClock(journal, toleranceMs);
  const active = client.applicationIds({
    talent_id: input.talent_id,
    job_id: input.job_id,
    active_status: '1',
  });
  for await (const id of active) {
    const application = await client.getApplication(id);
    if (
      application.talent_id === input.talent_id &&
      application.job_id === input.job_id &&
      application.create_time >= since
    ) {
      return application.id;
    }
  }
  return undefined;
}

/**
 * A terminate answered 1002221 after an ambiguous attempt: did our call terminate it (modified
 * after our first call began) or was it terminated before?
 */
export async function wasTerminatedByUs(
  client: FeishuClient,
  applicationId: string,
  journal: JournalState,
  toleranceMs = CLOCK_TOLERANCE_MS,
): Promise<boolean> {
  const application = await client.getApplication(applicationId);
  return application.modify_time >= firstCallOnServerClock(journal, toleranceMs);
}

/** The talent's active application on the job, whoever made it (for `existing: adopt`). */
export async function findActiveApplication(
  client: FeishuClient,
  input: CreateApplicationInput,
  control: CallControl = {},
): Promise<string | undefined> {
  const active = client.applicationIds(
    { talent_id: input.talent_id, job_id: input.job_id, active_status: '1' },
    control,
  );
  for await (const id of active) return id;
  return undefined;
}

/**
 * Before terminating a row that carries `if_not_updated_since`: has a person moved the application
 * since? Resolves with why not to terminate it, or undefined to go ahead.
 */
export async function applicationMovedSince(
  client: FeishuClient,
  applicationId: string,
  sinceMs: number,
): Promise<string | undefined> {
  const application = await client.getApplication(applicationId);
  if (application.active_status !== 1) return 'no longer active: closed since the list was made';
  return movedSinceReason(application, sinceMs);
}

/** Why an application updated after `sinceMs` is left alone, or undefined when it was not. */
export function movedSinceReason(application: { modify_time: number }, sinceMs: number): string | undefined {
  if (application.modify_time <= sinceMs) return undefined;
  return `updated at ${new Date(application.modify_time).toISOString()}, after ${new Date(sinceMs).toISOString()}: someone moved it since the list was made`;
}
