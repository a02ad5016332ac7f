import { BATCH_RETENTION_S } from '../retention';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from '../model/dead-letter';

export type { AttemptRecord } from '../model/dead-letter';

/** What the journal knows about a job's calls so far. */
export interface JournalState {
  /** When the first call of the job began (worker clock), if one did. */
  firstCallAtMs: number | undefined;
  /**
   * A call of this job may have taken effect: it succeeded (its outcome may not be recorded), it
   * got no answer or an ambiguous one, or its worker died mid-call.
   */
  ambiguous: boolean;
  /** Feishu's clock minus ours, from the last answer's `Date` header. */
  serverOffsetMs: number;
  calls: number;
}

/**
 * Notes that a call of the job begins: an earlier call still marked in flight (its worker died
 * mid-call) makes the job ambiguous. Replies with the journal before the call. A Lua function, so
 * that a batch's admission of the call can run it in the same step (`BatchStore.admitCall`).
 */
export const BEGIN_CALL_FN = `
local function beginCall(key, logKey, nowMs, ttlMs)
  if redis.call('HGET', key, 'inFlight') == '1' then redis.call('HSET', key, 'ambiguous', '1') end
  redis.call('HSETNX', key, 'firstCallAtMs', nowMs)
  redis.call('HSET', key, 'inFlight', '1')
  redis.call('HINCRBY', key, 'calls', 1)
  redis.call('PEXPIRE', key, ttlMs)
  redis.call('PEXPIRE', logKey, ttlMs)
  return redis.call('HGETALL', key)
end`;

const RETENTION_MS = BATCH_RETENTION_S * 1000;

/**
 * A durable note, in Redis, that a call is about to be made, written before the call. A job picked
 * up again after its worker died mid-call finds `inFlight` still set, and so knows its last call
 * is ambiguous. This is what lets a 1002206 or 1002221 be judged instead of guessed.
 */
export class AttemptJournal {
  private readonly key: string;
  private readonly logKey: string;

  /** Its keys, for a step that ends the job and the journal together. */
  get keys(): readonly string[] {
    return [this.key, this.logKey];
  }

  constructor(
    private readonly redis: RedisClient,
    keys: RedisKeys,
    readonly jobId: string,
  ) {
    this.key = keys.attempts(jobId);
    this.logKey = keys.attemptLog(jobId);
  }

  /** ARGV of `BEGIN_CALL_FN` for a call beginning now. */
  beginCallArgs(): [number, number] {
    return [Date.now(), RETENTION_MS];
  }

  /**
   * The call ended. `mayHaveTakenEffect` is false only for an answer that says for sure it did not
   * (a 4xx business error, a 429): a success counts too, so a worker that dies before recording
   * it leaves the job to be reconciled rather than called again blind.
   */
  async endCall(ended: {
    mayHaveTakenEffect: boolean;
    serverDateMs?: number | undefined;
    failure?: AttemptRecord | undefined;
  }): Promise<void> {
    const multi = this.redis.multi().hset(this.key, 'inFlight', '0');
    if (ended.mayHaveTakenEffect) multi.hset(this.key, 'ambiguous', '1');
    if (ended.serverDateMs !== undefined)
      multi.hset(this.key, 'serverOffsetMs', String(ended.serverDateMs - Date.now()));
    if (ended.failure) multi.rpush(this.logKey, JSON.stringify(ended.failure)).ltrim(this.logKey, -50, -1);
    await multi.exec();
  }

  /** Forgets a call begun but never made. */
  async discard(): Promise<void> {
    await this.redis.del(...this.keys);
  }

  async state(): Promise<JournalState> {
    return toState(await this.redis.hgetall(this.key));
  }

  async failures(): Promise<AttemptRecord[]> {
    return (await this.redis.lrange(this.logKey, 0, -1)).map((line) => JSON.parse(line) as AttemptRecord);
  }
}

/** The state from `BEGIN_CALL_FN`'s reply (a flat HGETALL). */
export function stateOfReply(flat: readonly string[]): JournalState {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return toState(fields);
}

function toState(fields: Record<string, string>): JournalState {
  return {
    firstCallAtMs: fields.firstCallAtMs === undefined ? undefined : Number(fields.firstCallAtMs),
    ambiguous: fields.ambiguous === '1',
    serverOffsetMs: Number(fields.serverOffsetMs ?? 0),
    calls: Number(fields.calls ?? 0),
  };
}
