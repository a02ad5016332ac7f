import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** One call that failed, as a dead letter lists it. */
export interface AttemptRecord {
  at: string;
  code: string;
  message: string;
  httpStatus?: number;
  logId?: string;
}

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

const BEGIN_CALL = `
if redis.call('HGET', KEYS[1], 'inFlight') == '1' then redis.call('HSET', KEYS[1], 'ambiguous', '1') end
redis.call('HSETNX', KEYS[1], 'firstCallAtMs', ARGV[1])
redis.call('HSET', KEYS[1], 'inFlight', '1')
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return redis.call('HGETALL', KEYS[1])`;

const RETENTION_MS = 30 * 86_400_000;

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
    this.logKey = `${this.key}:log`;
  }

  /** Records that a call begins now; returns the state before it. */
  async beginCall(): Promise<JournalState> {
    const flat = (await this.redis.eval(
      BEGIN_CALL,
      2,
      this.key,
      this.logKey,
      Date.now(),
      RETENTION_MS,
    )) as string[];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return toState(fields);
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

  async state(): Promise<JournalState> {
    return toState(await this.redis.hgetall(this.key));
  }

  async failures(): Promise<AttemptRecord[]> {
    return (await this.redis.lrange(this.logKey, 0, -1)).map((line) => JSON.parse(line) as AttemptRecord);
  }
}

function toState(fields: Record<string, string>): JournalState {
  return {
    firstCallAtMs: fields.firstCallAtMs === undefined ? undefined : Number(fields.firstCallAtMs),
    ambiguous: fields.ambiguous === '1',
    serverOffsetMs: Number(fields.serverOffsetMs ?? 0),
    calls: Number(fields.calls ?? 0),
  };
}
