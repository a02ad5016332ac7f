import type { RedisClient } from '../redis/redis-connection';
import { defineScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';

/** One application hire-queue knows it created (or adopted, or was told of), by talent and job. */
export interface LedgerEntry {
  talent_id: string;
  job_id: string;
  application_id: string;
  /** When it was recorded, ms since epoch. */
  at: number;
  how: 'created' | 'adopted' | 'imported';
}

export const recordLedgerEntriesScript = defineScript({
  name: 'record-ledger-entries',
  keys: ['entries', 'byTime'],
  args: ['entries'],
});

/** Entries ready to be written: the keys and ARGV of `lua/includes/record-ledger-entries.lua`. */
export interface LedgerWrite {
  keys: readonly [entries: string, byTime: string];
  args: readonly (string | number)[];
  count: number;
}

/** Entries written by a process between two prunes of expired ones. */
const PRUNE_EVERY_ENTRIES = 500;

/**
 * What hire-queue remembers of the applications it made, so a nightly sync can skip rows it
 * already created, even ones a recruiter has closed since. Entries live `retentionDays`, far beyond
 * a batch's; each write prunes a bounded number of expired ones, so memory stays bounded.
 */
export class ApplicationLedger {
  private writesSincePrune = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    /** @default 400 */
    readonly retentionDays = 400,
  ) {}

  /** Talent and job in one field: ids never hold a tab (validation refuses whitespace). */
  private static field(talentId: string, jobId: string): string {
    return `${talentId}\t${jobId}`;
  }

  async record(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const write = this.writeOf(entries);
    // One script, not MULTI: a worker records an entry per create, and a MULTI is four commands.
    const [entriesKey, byTime] = write.keys;
    await recordLedgerEntriesScript.run(this.redis, { entries: entriesKey, byTime }, { entries: write.args });
    await this.written(write);
  }

  /** The write of these entries, for a script that records them with something else. */
  writeOf(entries: readonly LedgerEntry[]): LedgerWrite {
    const { entries: hash, byTime } = this.keys.ledger;
    const args: (string | number)[] = [];
    for (const e of entries)
      args.push(
        ApplicationLedger.field(e.talent_id, e.job_id),
        `${e.application_id}\t${e.at}\t${e.how}`,
        e.at,
      );
    return { keys: [hash, byTime], args, count: entries.length };
  }

  /**
   * After a write: expired entries go a thousand at a time, every so many writes, not a round trip
   * per create.
   */
  async written(write: LedgerWrite): Promise<void> {
    this.writesSincePrune += write.count;
    if (this.writesSincePrune >= PRUNE_EVERY_ENTRIES) {
      this.writesSincePrune = 0;
      await this.prune(1000);
    }
  }

  /** The known application of each talent and job asked about (absent when unknown or expired). */
  async lookup(
    pairs: readonly { talent_id: string; job_id: string }[],
  ): Promise<(LedgerEntry | undefined)[]> {
    if (pairs.length === 0) return [];
    const values = await this.redis.hmget(
      this.keys.ledger.entries,
      ...pairs.map((p) => ApplicationLedger.field(p.talent_id, p.job_id)),
    );
    const oldest = Date.now() - this.retentionDays * 86_400_000;
    return values.map((value, i) => {
      const entry = value === null ? undefined : parse(pairs[i]!.talent_id, pairs[i]!.job_id, value);
      return entry && entry.at >= oldest ? entry : undefined;
    });
  }

  /** Deletes up to `limit` entries older than the retention; resolves with how many. */
  async prune(limit = 10_000): Promise<number> {
    const { entries: hash, byTime } = this.keys.ledger;
    const expired = await this.redis.zrangebyscore(
      byTime,
      '-inf',
      Date.now() - this.retentionDays * 86_400_000,
      'LIMIT',
      0,
      limit,
    );
    if (expired.length === 0) return 0;
    await this.redis
      .multi()
      .hdel(hash, ...expired)
      .zrem(byTime, ...expired)
      .exec();
    return expired.length;
  }

  async size(): Promise<number> {
    return this.redis.hlen(this.keys.ledger.entries);
  }

  /** Every entry, streamed. */
  async *entries(): AsyncGenerator<LedgerEntry> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.ledger.entries, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const [talentId, jobId] = flat[i]!.split('\t');
        const entry = parse(talentId ?? '', jobId ?? '', flat[i + 1]!);
        if (entry) yield entry;
      }
    } while (cursor !== '0');
  }
}

function parse(talentId: string, jobId: string, value: string): LedgerEntry | undefined {
  const [applicationId, at, how] = value.split('\t');
  if (!applicationId || !at) return undefined;
  return {
    talent_id: talentId,
    job_id: jobId,
    application_id: applicationId,
    at: Number(at),
    how: how === 'adopted' || how === 'imported' ? how : 'created',
  };
}
