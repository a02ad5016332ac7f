import type { BatchSummary } from '../batches/batch-summaries';
import { BATCH_RETENTION_S } from '../retention';
import type { Operation } from '../feishu/hire-schemas';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** An approval not given within this long expires: the batch is rejected, reason "expired". */
export const APPROVAL_TTL_MS = 24 * 3_600_000;

export type ApprovalState = 'awaitingApproval' | 'rejected' | 'approved';

/** A batch confirmed above the approval threshold: nothing of it is enqueued until another person approves. */
export interface Approval {
  batchId: string;
  operation: Operation;
  uploadId: string;
  fileName: string;
  /** The valid rows that would be written. */
  count: number;
  /** What the confirm step chose (type, reasons, note, priority): applied when approved. */
  options: Record<string, unknown>;
  requestedBy: { openId: string; name: string };
  requestedAt: string;
  state: ApprovalState;
  decidedBy?: { openId: string; name: string };
  decidedAt?: string;
  reason?: string;
}

/**
 * Batches waiting for a second person, kept in Redis under the prefix (any replica, and the CLI's
 * `batch` and `status`, see them). An approval past `APPROVAL_TTL_MS` reads as rejected, "expired".
 */
export class Approvals {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private withExpiry(approval: Approval, nowMs = Date.now()): Approval {
    if (approval.state === 'awaitingApproval' && nowMs - Date.parse(approval.requestedAt) > APPROVAL_TTL_MS)
      return {
        ...approval,
        state: 'rejected',
        reason: 'expired',
        decidedAt: new Date(Date.parse(approval.requestedAt) + APPROVAL_TTL_MS).toISOString(),
      };
    return approval;
  }

  async request(approval: Omit<Approval, 'state' | 'requestedAt'>): Promise<Approval> {
    const full: Approval = { ...approval, state: 'awaitingApproval', requestedAt: new Date().toISOString() };
    await this.redis
      .multi()
      .hset(this.keys.console.approvals, approval.batchId, JSON.stringify(full))
      .expire(this.keys.console.approvals, BATCH_RETENTION_S)
      .exec();
    return full;
  }

  async get(batchId: string): Promise<Approval | undefined> {
    const raw = await this.redis.hget(this.keys.console.approvals, batchId);
    return raw === null ? undefined : this.withExpiry(JSON.parse(raw) as Approval);
  }

  /** Every approval asked, newest first. */
  async list(): Promise<Approval[]> {
    const all = Object.entries(await this.redis.hgetall(this.keys.console.approvals));
    return all
      .filter(([field]) => !field.endsWith(':decided'))
      .map(([, raw]) => raw)
      .map((raw) => this.withExpiry(JSON.parse(raw) as Approval))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }

  /** Those not started: awaiting a decision, or rejected (an approved one is a batch like any other). */
  async unstarted(): Promise<Approval[]> {
    return (await this.list()).filter((a) => a.state !== 'approved');
  }

  /**
   * Records the decision, once: resolves with the approval as it was before (undefined when there is
   * none). Only an approval still awaiting one is changed; the caller acts on `approved` itself.
   */
  async decide(
    batchId: string,
    state: 'approved' | 'rejected',
    by: { openId: string; name: string },
    reason?: string,
  ): Promise<Approval | undefined> {
    const before = await this.get(batchId);
    if (!before || before.state !== 'awaitingApproval') return before;
    const after: Approval = {
      ...before,
      state,
      decidedBy: by,
      decidedAt: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
    // One decision wins: HSETNX on a decision key guards two approvers clicking at once.
    const won = await this.redis.hsetnx(this.keys.console.approvals, `${batchId}:decided`, '1');
    if (won === 0) return (await this.get(batchId)) ?? before;
    await this.redis.hset(this.keys.console.approvals, batchId, JSON.stringify(after));
    return before;
  }
}

/** An approval not started, as batch lists show it: its rows, nothing enqueued, nothing done. */
export function approvalSummary(
  approval: Approval,
): BatchSummary & { createdBy: { openId: string; name: string } } {
  return {
    batchId: approval.batchId,
    operation: approval.operation,
    state: approval.state === 'rejected' ? 'rejected' : 'awaitingApproval',
    rows: approval.count,
    jobs: approval.count,
    done: 0,
    createdAt: approval.requestedAt,
    createdBy: approval.requestedBy,
  };
}
