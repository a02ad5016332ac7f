import type { FeishuClient } from '../feishu/feishu-client';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import { defineScript } from '../redis/lua-script';

export interface UpdatedSinceOptions {
  /** A terminate call leaves at most this long after the listing that let it go. @default 1000 */
  freshnessMs: number;
  /** A listing older than this is renewed in the background by the next check. @default 700 */
  renewAfterMs: number;
  /**
   * Each listing after the first asks for updates since the one before began, less this: Feishu's
   * clock and Redis's may differ by a few seconds, and what is listed twice is only listed twice.
   * @default 5000
   */
  overlapMs: number;
  /** Another process listing: waited for this long at most, looking every `waitStepMs`. @default 5000 */
  waitForOtherMs: number;
  waitStepMs: number;
  /** Listing state kept this long after its last use. @default 86400 */
  ttlS: number;
}

export const updatedSinceDefaults: UpdatedSinceOptions = {
  freshnessMs: 1000,
  renewAfterMs: 700,
  overlapMs: 5000,
  waitForOtherMs: 5000,
  waitStepMs: 50,
  ttlS: 86_400,
};

export const listingLookScript = defineScript({
  name: 'listing-look',
  keys: ['ids', 'listed', 'members'],
  args: ['applicationId'],
  read: (reply) =>
    (reply as number[]).map(Number) as [now: number, from: number, updated: number, ofJob: number],
});

export const listingTakeLockScript = defineScript({
  name: 'listing-take-lock',
  keys: ['lock'],
  args: ['owner', 'ttlMs'],
  read: Number,
});

export const recordListingScript = defineScript({
  name: 'listing-record',
  keys: ['ids', 'listed', 'lock', 'members'],
  args: ['owner', 'startedAtMs', 'ttlS', 'memberCount', 'members', 'updated'],
});

/**
 * The guard of a stale close-out, per job and cutoff: the applications of the job updated since the
 * cutoff, shared by the fleet in Redis and renewed by listing them (`update_start_time`, 200 a page,
 * under the read limiter). One listing a second answers for every row of the job, where a read per
 * row capped a close-out at the read limit; a row's call leaves no later than `freshnessMs` after a
 * listing that showed its application untouched.
 */
export class UpdatedSinceListing {
  private readonly options: UpdatedSinceOptions;
  private readonly renewing = new Map<string, Promise<void>>();
  private readonly owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  /** Listings this process made, and pages read for them. */
  readonly counts = { listings: 0, pages: 0 };

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly client: FeishuClient,
    options: Partial<UpdatedSinceOptions> = {},
  ) {
    this.options = { ...updatedSinceDefaults, ...options };
  }

  /**
   * Whether the application may be terminated: `moved` with why not (it was updated since the
   * cutoff), `untouched`, or `notOfJob` when it is not one of the job's applications as first listed
   * (a row naming the wrong job, or an application newer than the list): the listing cannot vouch
   * for it, and the caller reads it instead. Decided on a listing that began at most `freshnessMs` ago.
   */
  async check(
    jobId: string,
    cutoffMs: number,
    applicationId: string,
  ): Promise<{ verdict: 'moved'; reason: string } | { verdict: 'untouched' | 'notOfJob' }> {
    const keys = this.keys.updatedSince(jobId, cutoffMs);
    for (;;) {
      const [now, from, updated, ofJob] = await listingLookScript.run(
        this.redis,
        { ids: keys.ids, listed: keys.listed, members: keys.members },
        { applicationId },
      );
      const age = now - from;
      if (from > 0 && age <= this.options.freshnessMs) {
        if (age > this.options.renewAfterMs) void this.renew(jobId, cutoffMs).catch(() => undefined);
        if (ofJob !== 1) return { verdict: 'notOfJob' };
        if (updated !== 1) return { verdict: 'untouched' };
        return {
          verdict: 'moved',
          reason: `updated after ${new Date(cutoffMs).toISOString()} (job ${jobId}'s applications listed ${age} ms before this row's turn): someone moved it since the list was made`,
        };
      }
      await this.renew(jobId, cutoffMs);
    }
  }

  /** Renews the listing, once per process at a time; waits for another process's instead of doubling it. */
  private renew(jobId: string, cutoffMs: number): Promise<void> {
    const name = `${jobId}:${cutoffMs}`;
    let renewing = this.renewing.get(name);
    if (!renewing) {
      renewing = this.list(jobId, cutoffMs).finally(() => this.renewing.delete(name));
      this.renewing.set(name, renewing);
    }
    return renewing;
  }

  private async list(jobId: string, cutoffMs: number): Promise<void> {
    const keys = this.keys.updatedSince(jobId, cutoffMs);
    const { waitForOtherMs, waitStepMs, overlapMs, ttlS } = this.options;
    const before = Number((await this.redis.hget(keys.listed, 'from')) ?? 0);
    const startedAt = await listingTakeLockScript.run(
      this.redis,
      { lock: keys.lock },
      { owner: this.owner, ttlMs: waitForOtherMs * 2 },
    );
    if (startedAt === 0) {
      // Another process lists: its listing serves this one too.
      const giveUpAt = Date.now() + waitForOtherMs;
      while (Date.now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, waitStepMs));
        if (Number((await this.redis.hget(keys.listed, 'from')) ?? 0) > before) return;
      }
      await this.redis.del(keys.lock);
      return;
    }
    const since = before > 0 ? Math.max(cutoffMs, before - overlapMs) : cutoffMs;
    // The first listing also takes every application of the job, once: a row naming another job's
    // application is then known, and read on its own.
    const members: string[] = [];
    if (before === 0)
      for await (const id of this.client.applicationIds({ job_id: jobId, active_status: '3' })) {
        members.push(id);
        if (members.length % 200 === 1) this.counts.pages++;
      }
    const ids: string[] = [];
    let found = 0;
    for await (const id of this.client.applicationIds({
      job_id: jobId,
      active_status: '3',
      update_start_time: String(since),
    })) {
      ids.push(id);
      if (++found % 200 === 1) this.counts.pages++;
    }
    if (found === 0) this.counts.pages++;
    this.counts.listings++;
    await recordListingScript.run(
      this.redis,
      { ids: keys.ids, listed: keys.listed, lock: keys.lock, members: keys.members },
      { owner: this.owner, startedAtMs: startedAt, ttlS, memberCount: members.length, members, updated: ids },
    );
  }
}
