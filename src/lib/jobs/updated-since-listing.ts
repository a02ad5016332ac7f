import type { FeishuClient } from '../feishu/feishu-client';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import { runScript } from '../redis/run-script';

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

/**
 * KEYS: ids, listed, members. ARGV: application id. Replies with the Redis time (ms), when the
 * last listing began (0 for none), whether the application is among the updated ones, and whether
 * it is one of the job's.
 */
const LOOK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local from = tonumber(redis.call('HGET', KEYS[2], 'from') or '0')
return { now, from, redis.call('SISMEMBER', KEYS[1], ARGV[1]), redis.call('SISMEMBER', KEYS[3], ARGV[1]) }`;

/** KEYS: lock. ARGV: owner, ttl ms. Replies with the Redis time (ms) if the lock was taken, else 0. */
const TAKE_LOCK = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
return 0`;

/**
 * KEYS: ids, listed, lock, members. ARGV: owner, when the listing began (ms), ttl s, how many of
 * the job's applications follow, those, then the updated ids. Adds both, notes the listing (never
 * moving it back), and frees the lock if still ours.
 */
const RECORD = `
local members = tonumber(ARGV[4])
for i = 5, 4 + members, 500 do
  redis.call('SADD', KEYS[4], unpack(ARGV, i, math.min(i + 499, 4 + members)))
end
for i = 5 + members, #ARGV, 500 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('EXPIRE', KEYS[4], ARGV[3])
local from = tonumber(redis.call('HGET', KEYS[2], 'from') or '0')
if tonumber(ARGV[2]) > from then redis.call('HSET', KEYS[2], 'from', ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1`;

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
      const [now, from, updated, ofJob] = (await runScript(
        this.redis,
        LOOK,
        3,
        keys.ids,
        keys.listed,
        keys.members,
        applicationId,
      )) as [number, number, number, number];
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
    const startedAt = Number(
      await runScript(this.redis, TAKE_LOCK, 1, keys.lock, this.owner, waitForOtherMs * 2),
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
    await runScript(
      this.redis,
      RECORD,
      4,
      keys.ids,
      keys.listed,
      keys.lock,
      keys.members,
      this.owner,
      startedAt,
      ttlS,
      members.length,
      ...members,
      ...ids,
    );
  }
}
