import type { RedisClient } from '../redis/redis-connection';
import { BatchConflictError } from '../errors/batch-conflict-error';
import type { Operation } from '../feishu/hire-schemas';
import { jobStatuses, type JobOutcome, type JobStatus } from '../jobs/job-outcome';
import type { RedisKeys } from '../redis/redis-keys';

/** What an operator asked of a batch. `running` unless paused or cancelled. */
export type BatchControl = 'running' | 'paused' | 'cancelled';

/** Where a batch's rows stand in line against other batches' under the same limit. */
export type BatchPriority = 'high' | 'normal' | 'low';

/** What a create row does when Feishu says an active application of its talent on its job exists. */
export type ExistingPolicy = 'adopt' | 'dead-letter';

/** A batch's state as reports show it: the operator's control, or `finished` once every row is done. */
export type BatchState = 'running' | 'paused' | 'cancelled' | 'finished';

export interface BatchMeta {
  batchId: string;
  operation: Operation;
  createdAtMs: number;
  control: BatchControl;
  priority: BatchPriority;
  existing: ExistingPolicy;
  /** Where the rows came from: the input file, `stdin`, `api`, ... */
  source?: string;
  /** The input file, when the batch came from one: dead letters name it with the row's line. */
  file?: string;
  /** The producer finished enqueuing every row. */
  sealed: boolean;
  sealedAtMs?: number;
  finishedAtMs?: number;
}

/** A row that failed validation and was not enqueued. */
export interface InvalidRow {
  line: number;
  errors: string[];
  input?: unknown;
}

/** An accepted row: its line, job, input and (once done) outcome. */
export interface BatchRow {
  line: number;
  jobId: string;
  input: Record<string, unknown>;
  outcome?: JobOutcome;
}

export interface BatchProgress {
  jobs: number;
  done: number;
  counts: Record<JobStatus, number>;
  /** Every row is enqueued (the batch is sealed, or cancelled) and every job has its outcome. */
  finished: boolean;
  control: BatchControl;
  state: BatchState;
}

/** KEYS: outcomes, counts, keys to delete either way (the job's journal). */
const RECORD_OUTCOME = `
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0`;

const RETENTION_S = 30 * 86_400;

/** KEYS: meta. ARGV: a line. Keeps the highest line the batch has rows up to. */
const RAISE_MAX_LINE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'maxLine') or '0')
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'maxLine', ARGV[1]) end
return 1`;

/** KEYS: meta, in-flight. ARGV: control, retention s. Returns the control before, or false for no batch. */
const SET_CONTROL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HGET', KEYS[1], 'control') or 'running'
if before ~= 'cancelled' then redis.call('HSET', KEYS[1], 'control', ARGV[1]) end
return { before, redis.call('SCARD', KEYS[2]) }`;

/**
 * KEYS: meta, in-flight. ARGV: job id, retention s. A call of the batch may start only while it runs;
 * the check and the note that the call is in flight are one step, so once a pause has been
 * written no call of the batch starts. A batch whose meta is gone (lost state) is not held.
 */
const ADMIT_CALL = `
local control = redis.call('HGET', KEYS[1], 'control') or 'running'
if control ~= 'running' then return control end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return control`;

/** KEYS: meta, parked. ARGV: job id, line, retention s. Parks the job while the batch is paused. */
const PARK = `
local control = redis.call('HGET', KEYS[1], 'control') or 'running'
if control == 'paused' then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return control`;

/**
 * A batch in Redis: its rows (line -> job id), rows rejected by validation, and each job's outcome.
 * Outcomes are recorded once per job however often a job is retried or recovered.
 */
export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** The key prefix these batches live under (messages name it: a batch under another is not found). */
  get prefix(): string {
    return this.keys.prefix;
  }

  /** Opens a batch; a batch id given again (a cron retry) continues that batch. */
  async create(
    meta: Pick<BatchMeta, 'batchId' | 'operation' | 'createdAtMs'> & {
      source?: string;
      file?: string;
      priority?: BatchPriority;
      existing?: ExistingPolicy;
    },
  ): Promise<void> {
    const k = this.keys.batch(meta.batchId);
    const existing = await this.redis.hget(k.meta, 'operation');
    if (existing !== null && existing !== meta.operation) {
      throw new BatchConflictError(meta.batchId, existing, meta.operation);
    }
    if (existing === null) {
      await this.redis
        .multi()
        .hset(k.meta, {
          batchId: meta.batchId,
          operation: meta.operation,
          createdAtMs: String(meta.createdAtMs),
          priority: meta.priority ?? 'normal',
          existing: meta.existing ?? 'dead-letter',
          ...(meta.source !== undefined ? { source: meta.source } : {}),
          ...(meta.file !== undefined ? { file: meta.file } : {}),
        })
        .zadd(this.keys.batches, meta.createdAtMs, meta.batchId)
        .exec();
    }
    await this.redis.hset(k.meta, 'sealed', '0');
    await this.touch(meta.batchId);
  }

  /**
   * Rows accepted into jobs: line -> job id and input (for the results file). The highest line is
   * kept, so that reports can walk the rows in line order without holding them.
   */
  async addRows(batchId: string, rows: { line: number; jobId: string; input: unknown }[]): Promise<void> {
    if (rows.length === 0) return;
    const k = this.keys.batch(batchId);
    const multi = this.redis.multi();
    multi.hset(
      k.rows,
      Object.fromEntries(rows.map((r) => [String(r.line), JSON.stringify({ j: r.jobId, i: r.input })])),
    );
    multi.sadd(k.jobs, ...rows.map((r) => r.jobId));
    multi.eval(RAISE_MAX_LINE, 1, k.meta, Math.max(...rows.map((r) => r.line)));
    await multi.exec();
  }

  async addInvalid(batchId: string, rows: InvalidRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.redis.rpush(this.keys.batch(batchId).invalid, ...rows.map((r) => JSON.stringify(r)));
  }

  async seal(batchId: string): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId).meta, { sealed: '1', sealedAtMs: String(Date.now()) });
    await this.touch(batchId);
  }

  /**
   * Records how a job ended, once; later calls for the same job change nothing (and answer false).
   * `forgetting`: keys that end with the job (its journal), deleted in the same step.
   */
  async recordOutcome(
    batchId: string,
    jobId: string,
    outcome: JobOutcome,
    forgetting: readonly string[] = [],
  ): Promise<boolean> {
    const k = this.keys.batch(batchId);
    const recorded = await this.redis.eval(
      RECORD_OUTCOME,
      2 + forgetting.length,
      k.outcomes,
      k.counts,
      ...forgetting,
      jobId,
      JSON.stringify(outcome),
      outcome.status,
    );
    return recorded === 1;
  }

  async meta(batchId: string): Promise<BatchMeta | undefined> {
    const m = await this.redis.hgetall(this.keys.batch(batchId).meta);
    if (!m.operation) return undefined;
    return {
      batchId,
      operation: m.operation as Operation,
      createdAtMs: Number(m.createdAtMs),
      control: (m.control as BatchControl | undefined) ?? 'running',
      priority: (m.priority as BatchPriority | undefined) ?? 'normal',
      existing: (m.existing as ExistingPolicy | undefined) ?? 'dead-letter',
      sealed: m.sealed === '1',
      ...(m.source !== undefined ? { source: m.source } : {}),
      ...(m.file !== undefined ? { file: m.file } : {}),
      ...(m.sealedAtMs !== undefined ? { sealedAtMs: Number(m.sealedAtMs) } : {}),
      ...(m.finishedAtMs !== undefined ? { finishedAtMs: Number(m.finishedAtMs) } : {}),
    };
  }

  /** How far the batch is: the one answer to "is this batch done?". */
  async progress(batchId: string): Promise<BatchProgress> {
    const k = this.keys.batch(batchId);
    const [jobs, counts, [sealed, control]] = await Promise.all([
      this.redis.scard(k.jobs),
      this.redis.hgetall(k.counts),
      this.redis.hmget(k.meta, 'sealed', 'control'),
    ]);
    const c = Object.fromEntries(jobStatuses.map((s) => [s, Number(counts[s] ?? 0)])) as Record<
      JobStatus,
      number
    >;
    const done = jobStatuses.reduce((sum, s) => sum + c[s], 0);
    const batchControl = (control as BatchControl | null) ?? 'running';
    const finished = (sealed === '1' || batchControl === 'cancelled') && done >= jobs;
    const state: BatchState =
      batchControl === 'cancelled' ? 'cancelled' : finished ? 'finished' : batchControl;
    return { jobs, done, counts: c, finished, control: batchControl, state };
  }

  /**
   * Pauses, resumes or cancels the batch. Resolves with the control it had and the calls of it in
   * flight then, or undefined when there is no such batch. A cancelled batch stays cancelled.
   */
  async setControl(
    batchId: string,
    control: BatchControl,
  ): Promise<{ before: BatchControl; inFlight: number } | undefined> {
    const k = this.keys.batch(batchId);
    const answer = (await this.redis.eval(SET_CONTROL, 2, k.meta, k.inFlight, control)) as
      [string, number] | null;
    if (!answer) return undefined;
    return { before: answer[0] as BatchControl, inFlight: Number(answer[1]) };
  }

  /** What the operator asked of the batch; `running` for a batch Redis no longer knows. */
  async controlOf(batchId: string): Promise<BatchControl> {
    return (await this.settingsOf(batchId)).control;
  }

  /** What a worker needs of the batch before a job's call, in one read. */
  async settingsOf(batchId: string): Promise<{ control: BatchControl; existing: ExistingPolicy }> {
    const [control, existing] = await this.redis.hmget(this.keys.batch(batchId).meta, 'control', 'existing');
    return {
      control: (control as BatchControl | null) ?? 'running',
      existing: (existing as ExistingPolicy | null) ?? 'dead-letter',
    };
  }

  /** May this job call Feishu now? Resolves with the batch's control; `running` also notes the call in flight. */
  async admitCall(batchId: string, jobId: string): Promise<BatchControl> {
    const k = this.keys.batch(batchId);
    return (await this.redis.eval(ADMIT_CALL, 2, k.meta, k.inFlight, jobId, RETENTION_S)) as BatchControl;
  }

  /** The call admitted for this job has ended. */
  async callEnded(batchId: string, jobId: string): Promise<void> {
    await this.redis.srem(this.keys.batch(batchId).inFlight, jobId);
  }

  /** Notes a job set aside while its batch is paused (by line, to resume in order); resolves with the control. */
  async park(batchId: string, jobId: string, line: number): Promise<BatchControl> {
    const k = this.keys.batch(batchId);
    return (await this.redis.eval(PARK, 2, k.meta, k.parked, jobId, line, RETENTION_S)) as BatchControl;
  }

  /** Takes up to `count` parked jobs off the list, lowest line first. */
  async unpark(batchId: string, count: number): Promise<string[]> {
    const popped = await this.redis.zpopmin(this.keys.batch(batchId).parked, count);
    return popped.filter((_, i) => i % 2 === 0);
  }

  /** Ids of the batch's jobs that have no outcome yet, in chunks. */
  async *pendingJobIds(batchId: string, chunkSize = 500): AsyncGenerator<string[]> {
    const k = this.keys.batch(batchId);
    let cursor = '0';
    do {
      const [next, ids] = await this.redis.sscan(k.jobs, cursor, 'COUNT', chunkSize);
      cursor = next;
      if (ids.length === 0) continue;
      const outcomes = await this.redis.hmget(k.outcomes, ...ids);
      const pending = ids.filter((_, i) => outcomes[i] === null);
      if (pending.length > 0) yield pending;
    } while (cursor !== '0');
  }

  /** How the job ended, if it has. */
  async outcomeOf(batchId: string, jobId: string): Promise<JobOutcome | undefined> {
    const raw = await this.redis.hget(this.keys.batch(batchId).outcomes, jobId);
    return raw === null ? undefined : (JSON.parse(raw) as JobOutcome);
  }

  /** Fixes the batch's end, once, so every later report says the same. */
  async markFinished(batchId: string, finishedAtMs: number): Promise<void> {
    await this.redis.hsetnx(this.keys.batch(batchId).meta, 'finishedAtMs', String(finishedAtMs));
  }

  async invalidRows(batchId: string): Promise<InvalidRow[]> {
    return (await this.redis.lrange(this.keys.batch(batchId).invalid, 0, -1)).map(
      (l) => JSON.parse(l) as InvalidRow,
    );
  }

  /**
   * Every accepted row with its job's outcome (undefined while pending), in line order, in chunks:
   * lines are read by number, a range at a time, so memory holds one chunk whatever the batch's size.
   */
  async *rowsWithOutcomes(batchId: string, linesPerChunk = 2000): AsyncGenerator<BatchRow[]> {
    const k = this.keys.batch(batchId);
    const maxLine = Number((await this.redis.hget(k.meta, 'maxLine')) ?? (await this.scanMaxLine(batchId)));
    for (let first = 1; first <= maxLine; first += linesPerChunk) {
      const lines = Array.from({ length: Math.min(linesPerChunk, maxLine - first + 1) }, (_, i) => first + i);
      const raw = await this.redis.hmget(k.rows, ...lines.map(String));
      const rows: Omit<BatchRow, 'outcome'>[] = [];
      raw.forEach((value, i) => {
        if (value === null) return;
        const row = JSON.parse(value) as { j: string; i: Record<string, unknown> };
        rows.push({ line: lines[i]!, jobId: row.j, input: row.i });
      });
      if (rows.length === 0) continue;
      const outcomes = await this.redis.hmget(k.outcomes, ...rows.map((r) => r.jobId));
      yield rows.map((r, i) => {
        const outcome = outcomes[i];
        return outcome ? { ...r, outcome: JSON.parse(outcome) as JobOutcome } : r;
      });
    }
  }

  /** The highest line of a batch written before `maxLine` was kept: its line numbers only, scanned once. */
  private async scanMaxLine(batchId: string): Promise<number> {
    let max = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.batch(batchId).rows, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) max = Math.max(max, Number(flat[i]));
    } while (cursor !== '0');
    return max;
  }

  /** Which of these jobs have an outcome in the batch. */
  async hasOutcomes(batchId: string, jobIds: readonly string[]): Promise<boolean[]> {
    if (jobIds.length === 0) return [];
    const found = await this.redis.hmget(this.keys.batch(batchId).outcomes, ...jobIds);
    return found.map((value) => value !== null);
  }

  async listBatchIds(limit = 50): Promise<string[]> {
    return this.redis.zrevrange(this.keys.batches, 0, limit - 1);
  }

  private async touch(batchId: string): Promise<void> {
    const k = this.keys.batch(batchId);
    const multi = this.redis.multi();
    for (const key of Object.values(k)) multi.expire(key, RETENTION_S);
    await multi.exec();
  }
}
