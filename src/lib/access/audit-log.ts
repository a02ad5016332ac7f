import type { Logger } from '../logger';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** Who did what in the console, kept this long. */
export const AUDIT_RETENTION_DAYS = 400;

export type AuditAction =
  | 'signIn'
  | 'signOut'
  | 'upload'
  | 'confirm'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'grantRole'
  | 'revokeRole'
  | 'replay'
  | 'discard'
  | 'check'
  | 'approve'
  | 'reject';

export interface AuditEntry {
  at: string;
  actor: { openId: string; name: string };
  action: AuditAction;
  batchId?: string;
  detail: Record<string, unknown>;
}

/**
 * The audit: a Redis stream under the prefix, trimmed past the retention as it is written, each
 * entry also one log line. Never a token or a secret: callers put ids, counts and reasons in `detail`.
 */
export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {}

  async record(entry: Omit<AuditEntry, 'at'>): Promise<AuditEntry> {
    const at = new Date();
    const full: AuditEntry = { at: at.toISOString(), ...entry };
    const oldest = at.getTime() - AUDIT_RETENTION_DAYS * 86_400_000;
    await this.redis.xadd(
      this.keys.console.audit,
      'MINID',
      '~',
      String(oldest),
      '*',
      'entry',
      JSON.stringify(full),
    );
    this.logger.info({ audit: full }, `audit: ${entry.action}`);
    return full;
  }

  /** Newest first, at most `limit`, of one batch when asked. */
  async list(filter: { batchId?: string | undefined; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = filter.limit ?? 200;
    const entries: AuditEntry[] = [];
    let end = '+';
    for (;;) {
      const page = await this.redis.xrevrange(this.keys.console.audit, end, '-', 'COUNT', 500);
      for (const [, fields] of page) {
        const entry = JSON.parse(fields[1]!) as AuditEntry;
        if (filter.batchId === undefined || entry.batchId === filter.batchId) entries.push(entry);
        if (entries.length >= limit) return entries;
      }
      if (page.length < 500) return entries;
      end = `(${page.at(-1)![0]}`;
    }
  }
}
