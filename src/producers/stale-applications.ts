import { InvalidOptionError } from '../lib/errors/invalid-option-error';
import type { FeishuClient } from '../lib/feishu/feishu-client';
import type { TerminateJobInput, TerminationType } from '../lib/feishu/hire-schemas';
import type { CheckedRow } from '../lib/rows/validate-row';

export interface StaleQuery {
  jobId: string;
  stageId?: string;
  /** Not updated for at least this long. */
  olderThanMs: number;
}

/** `30d`, `12h`, `2w`, `90m` into milliseconds. */
export function parseAge(value: string): number {
  const match = /^(\d+)\s*(m|h|d|w)$/.exec(value.trim());
  if (!match)
    throw new InvalidOptionError('olderThan', `"${value}": use a number and a unit, like 30d, 12h, 2w`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

/**
 * Ids of the job's active applications not updated since the cutoff, paged through the list
 * endpoint (each page under the fleet's read limiter).
 */
export async function findStaleApplicationIds(
  client: FeishuClient,
  query: StaleQuery,
  nowMs = Date.now(),
  onPage?: (found: number) => void,
): Promise<{ ids: string[]; cutoffMs: number }> {
  const cutoffMs = nowMs - query.olderThanMs;
  const ids: string[] = [];
  const stale = client.applicationIds({
    job_id: query.jobId,
    ...(query.stageId ? { stage_id: query.stageId } : {}),
    active_status: '1',
    update_end_time: String(cutoffMs),
  });
  for await (const id of stale) {
    ids.push(id);
    if (ids.length % 200 === 0) onPage?.(ids.length);
  }
  onPage?.(ids.length);
  return { ids, cutoffMs };
}

/** Checks each reason id exists, is active and is of the termination type given. */
export async function checkTerminationReasons(
  client: FeishuClient,
  terminationType: TerminationType,
  reasonIds: string[],
): Promise<void> {
  if (reasonIds.length === 0) return;
  const reasons = new Map((await client.listTerminationReasons()).map((r) => [r.id, r]));
  for (const id of reasonIds) {
    const reason = reasons.get(id);
    if (!reason)
      throw new InvalidOptionError(
        'reasonIds',
        `${id}: no such termination reason (see the list of termination reasons in Feishu Hire)`,
      );
    if (reason.active_status !== undefined && reason.active_status !== 1)
      throw new InvalidOptionError('reasonIds', `${id}: the reason is disabled`);
    if (reason.termination_type !== undefined && reason.termination_type !== terminationType) {
      throw new InvalidOptionError(
        'reasonIds',
        `${id} is for termination type ${reason.termination_type}, not ${terminationType}`,
      );
    }
  }
}

/**
 * Terminate rows for the ids found. Each carries the cutoff as `if_not_updated_since` and its job:
 * an application a person moves between the listing and its turn (minutes later, or days later for
 * a reviewed `--out` file) is skipped, not terminated, as the fleet's listing of the job's
 * applications updated since the cutoff shows (`UpdatedSinceListing`).
 */
export function terminateInputs(
  ids: string[],
  terminationType: TerminationType,
  reasonIds: string[],
  note: string | undefined,
  cutoffMs: number,
  jobId?: string,
): TerminateJobInput[] {
  return ids.map((application_id) => ({
    application_id,
    if_not_updated_since: cutoffMs,
    ...(jobId !== undefined ? { job_id: jobId } : {}),
    termination_type: terminationType,
    ...(reasonIds.length > 0 ? { termination_reason_list: reasonIds } : {}),
    ...(note !== undefined ? { termination_reason_note: note } : {}),
  }));
}

/** Inputs made here are valid by construction: rows numbered from 1, ready for `enqueueBatch`. */
export function acceptedRows(inputs: TerminateJobInput[]): CheckedRow<'terminate'>[] {
  return inputs.map((input, i) => ({ line: i + 1, ok: true, input }));
}
