import type { RedisClient } from '../redis/redis-connection';
import { runScript } from '../redis/run-script';
import { BatchedScript } from '../redis/batched-script';
import { BatchConflictError } from '../errors/batch-conflict-error';
import type { Operation } from '../feishu/hire-schemas';
import { jobStatuses, type JobOutcome, type JobStatus } from '../jobs/job-outcome';
import type { RedisKeys } from '../redis/redis-keys';
import { LegacyBatchError } from '../errors/legacy-batch-error';
import { hireJobId, type StoredInput } from '../jobs/hire-job';
import { BEGIN_CALL_FN, stateOfReply, type AttemptJournal, type JournalState } from '../jobs/attempt-journal';
import { RECORD_ENTRIES_FN, type LedgerWrite } from '../ledger/application-ledger';

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
  /** The batch's number, in base 36: its jobs are named by it and their line (absent before 0.3). */
  seq?: string;
}

/** A row that failed validation and was not enqueued. */
export interface InvalidRow {
  line: number;
  errors: string[];
  input?: unknown;
}

/** A row being added to a batch: its line and its input as stored (see `storedInput`). */
export interface NewRow extends StoredInput {
  line: number;
}

/**
 * What adding a row found: `new` (its job is to be queued), `known` (an earlier run of the same
 * batch added this line; queued again only if it has no outcome, BullMQ keeping one job per id),
 * `repeat` (the same input as an earlier line: that line's job serves both).
 */
export type AddedRow = 'new' | 'known' | 'repeat';

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

/**
 * KEYS: outcomes, counts, in-flight, the ledger's two keys when ARGV[4] is 2, then keys to delete
 * either way (the job's journal). ARGV: job id, outcome, status, 0 or 2, the ledger's entries. The
 * call that led here (if any) is over: the job leaves the batch's in-flight set in the same step,
 * and the application it made enters the ledger in it.
 */
const RECORD_OUTCOME = `${RECORD_ENTRIES_FN}
local ledgerKeys = tonumber(ARGV[4])
redis.call('SREM', KEYS[3], ARGV[1])
for i = 4 + ledgerKeys, #KEYS do redis.call('DEL', KEYS[i]) end
if ledgerKeys > 0 then recordLedgerEntries(KEYS[4], KEYS[5], 5) end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0`;

const RETENTION_S = 30 * 86_400;

/**
 * KEYS: meta, rows, digests, invalid lines. ARGV: line, digest, input JSON, for each row. A row's
 * value is its input, or `=N` when line N has the same input. Keeps the highest line (reports walk
 * lines by number) and how many rows repeat another; a line refused by an earlier run and valid now
 * is no longer invalid. Replies per row: 0 new, 1 known, 2 repeat.
 */
const ADD_ROWS = `
local statuses = {}
if redis.call('EXISTS', KEYS[4]) == 1 then
  for i = 1, #ARGV, 3 do redis.call('HDEL', KEYS[4], ARGV[i]) end
end
local maxLine = tonumber(redis.call('HGET', KEYS[1], 'maxLine') or '0')
local repeats = 0
for i = 1, #ARGV, 3 do
  local line = ARGV[i]
  local known = redis.call('HGET', KEYS[2], line)
  if known then
    statuses[#statuses + 1] = string.sub(known, 1, 1) == '=' and 2 or 1
  elseif redis.call('HSETNX', KEYS[3], ARGV[i + 1], line) == 1 then
    redis.call('HSET', KEYS[2], line, ARGV[i + 2])
    statuses[#statuses + 1] = 0
  else
    redis.call('HSET', KEYS[2], line, '=' .. redis.call('HGET', KEYS[3], ARGV[i + 1]))
    repeats = repeats + 1
    statuses[#statuses + 1] = 2
  end
  local n = tonumber(line)
  if n > maxLine then maxLine = n end
end
redis.call('HSET', KEYS[1], 'maxLine', maxLine)
if repeats > 0 then redis.call('HINCRBY', KEYS[1], 'repeats', repeats) end
return statuses`;

const ADDED: readonly AddedRow[] = ['new', 'known', 'repeat'];

/**
 * A call of the batch may start only while it runs; the check and the note that the call is in
 * flight are one step, so once a pause has been written no call of the batch starts. A batch
 * whose meta is gone (lost state) is not held. Given the job's journal (2 keys), the call begins
 * in it in the same step. Replies with the control and, when admitted and journalled, the
 * journal before the call.
 */
const ADMIT_FN = `${BEGIN_CALL_FN}
local function admit(meta, inFlight, journal, journalLog, jobId, retentionS, nowMs, ttlMs)
  local control = redis.call('HGET', meta, 'control') or 'running'
  if control ~= 'running' then return { control } end
  redis.call('SADD', inFlight, jobId)
  redis.call('EXPIRE', inFlight, retentionS)
  if not journal then return { control } end
  return { control, beginCall(journal, journalLog, nowMs, ttlMs) }
end`;

/**
 * KEYS: meta, outcomes, rows, then (to admit the call too) in-flight and the job's journal (2
 * keys). ARGV: job id, line ('' for a job that carries its input), then retention s and the
 * journal's `beginCall` arguments. What a worker needs before a job's call, in one step: its
 * outcome if it has one, the batch's control and duplicate policy, the row's stored input, and
 * whether the call was admitted (only a job without an outcome whose row is there).
 */
const JOB_CONTEXT = `${ADMIT_FN}
local outcome = redis.call('HGET', KEYS[2], ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'control', 'existing')
local row = false
if ARGV[2] ~= '' and not outcome then row = redis.call('HGET', KEYS[3], ARGV[2]) end
local admitted = 0
if #KEYS > 3 and not outcome and (ARGV[2] == '' or row) then
  local admission = admit(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], ARGV[3], ARGV[4], ARGV[5])
  if admission[2] then admitted = 1 end
end
return { outcome or false, m[1] or false, m[2] or false, row, admitted }`;

/** What a worker reads of its job's batch before the call. */
export interface JobContext {
  /** Set when the job already ended (a worker died after recording it): no call. */
  outcome: JobOutcome | undefined;
  control: BatchControl;
  existing: ExistingPolicy;
  /** The row's input as stored (undefined when the batch lost it, or for a job carrying its own). */
  input: unknown;
  /** The call was admitted and begun in the job's journal in the same step (see `jobContext`). */
  admitted: boolean;
}

/** KEYS: meta, in-flight. ARGV: control, retention s. Returns the control before, or false for no batch. */
const SET_CONTROL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HGET', KEYS[1], 'control') or 'running'
if before ~= 'cancelled' then redis.call('HSET', KEYS[1], 'control', ARGV[1]) end
return { before, redis.call('SCARD', KEYS[2]) }`;

/** KEYS: meta, in-flight, and optionally the job's journal (2 keys). ARGV: job id, retention s, the journal's `beginCall` arguments. */
const ADMIT_CALL = `${ADMIT_FN}
return admit(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4])`;

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
  /** Each runs once per job: the calls of a turn go to Redis together. */
  private readonly jobContexts: BatchedScript;
  private readonly outcomeRecords: BatchedScript;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.jobContexts = new BatchedScript(redis, JOB_CONTEXT);
    this.outcomeRecords = new BatchedScript(redis, RECORD_OUTCOME);
  }

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
      const seq = (await this.redis.incr(this.keys.batchSeq)).toString(36);
      await this.redis
        .multi()
        .hset(k.meta, {
          seq,
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
    } else if ((await this.redis.hget(k.meta, 'seq')) === null) {
      throw new LegacyBatchError(meta.batchId);
    }
    await this.redis.hset(k.meta, 'sealed', '0');
    await this.touch(meta.batchId);
  }

  /**
   * Adds accepted rows, each with its input stored once (the worker reads it there, the results
   * file too). Resolves with what each row was: see `AddedRow`.
   */
  async addRows(batchId: string, rows: readonly NewRow[]): Promise<AddedRow[]> {
    if (rows.length === 0) return [];
    const k = this.keys.batch(batchId);
    const args: string[] = [];
    for (const row of rows) args.push(String(row.line), row.digest, row.json);
    const statuses = (await runScript(
      this.redis,
      ADD_ROWS,
      4,
      k.meta,
      k.rows,
      k.digests,
      k.invalidLines,
      ...args,
    )) as number[];
    return statuses.map((status) => ADDED[status]!);
  }

  /** The ids of the jobs of these lines (a batch's jobs are named by its number and their line). */
  async jobIdsOf(batchId: string, lines: readonly number[]): Promise<string[]> {
    const seq = await this.redis.hget(this.keys.batch(batchId).meta, 'seq');
    if (seq === null) throw new LegacyBatchError(batchId);
    return lines.map((line) => hireJobId(seq, line));
  }

  async addInvalid(batchId: string, rows: InvalidRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.redis.hset(
      this.keys.batch(batchId).invalidLines,
      Object.fromEntries(rows.map((r) => [String(r.line), JSON.stringify(r)])),
    );
  }

  /**
   * Every row is in. The input digests go: they only spot repeats among rows being added (a batch
   * continued after sealing still knows its lines, not what their inputs were).
   */
  async seal(batchId: string): Promise<void> {
    const k = this.keys.batch(batchId);
    await this.redis
      .multi()
      .hset(k.meta, { sealed: '1', sealedAtMs: String(Date.now()) })
      .unlink(k.digests)
      .exec();
    await this.touch(batchId);
  }

  /**
   * Records how a job ended, once; later calls for the same job change nothing (and answer false).
   * `forgetting`: keys that end with the job (its journal), deleted in the same step; `ledger`:
   * the application the job made, recorded in the same step whichever call records the outcome.
   */
  async recordOutcome(
    batchId: string,
    jobId: string,
    outcome: JobOutcome,
    forgetting: readonly string[] = [],
    ledger?: LedgerWrite,
  ): Promise<boolean> {
    const k = this.keys.batch(batchId);
    const ledgerKeys = ledger?.keys ?? [];
    const recorded = await this.outcomeRecords.run(
      3 + ledgerKeys.length + forgetting.length,
      k.outcomes,
      k.counts,
      k.inFlight,
      ...ledgerKeys,
      ...forgetting,
      jobId,
      JSON.stringify(outcome),
      outcome.status,
      ledgerKeys.length,
      ...(ledger?.args ?? []),
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
      ...(m.seq !== undefined ? { seq: m.seq } : {}),
    };
  }

  /** How far the batch is: the one answer to "is this batch done?". */
  async progress(batchId: string): Promise<BatchProgress> {
    const k = this.keys.batch(batchId);
    const [rows, legacyJobs, counts, [sealed, control, repeats, seq]] = await Promise.all([
      this.redis.hlen(k.rows),
      this.redis.scard(k.jobs),
      this.redis.hgetall(k.counts),
      this.redis.hmget(k.meta, 'sealed', 'control', 'repeats', 'seq'),
    ]);
    // Before 0.3 a batch listed its job ids; now a row is a job unless it repeats another.
    const jobs = seq == null ? legacyJobs : rows - Number(repeats ?? 0);
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
    const answer = (await runScript(this.redis, SET_CONTROL, 2, k.meta, k.inFlight, control)) as
      [string, number] | null;
    if (!answer) return undefined;
    return { before: answer[0] as BatchControl, inFlight: Number(answer[1]) };
  }

  /** What the operator asked of the batch; `running` for a batch Redis no longer knows. */
  async controlOf(batchId: string): Promise<BatchControl> {
    return (
      ((await this.redis.hget(this.keys.batch(batchId).meta, 'control')) as BatchControl | null) ?? 'running'
    );
  }

  /**
   * What a worker needs before a job's call, in one step: see `JobContext`. Given the job's journal,
   * the call is also admitted as by `admitCall`, for a call that leaves right after this read.
   */
  async jobContext(
    batchId: string,
    jobId: string,
    line: number | undefined,
    admitting?: AttemptJournal,
  ): Promise<JobContext> {
    const k = this.keys.batch(batchId);
    const [outcome, control, existing, input, admitted] = (await this.jobContexts.run(
      admitting ? 6 : 3,
      k.meta,
      k.outcomes,
      k.rows,
      ...(admitting ? [k.inFlight, ...admitting.keys] : []),
      jobId,
      line === undefined ? '' : String(line),
      ...(admitting ? [RETENTION_S, ...admitting.beginCallArgs()] : []),
    )) as [string | null, string | null, string | null, string | null, number];
    return {
      outcome: outcome ? (JSON.parse(outcome) as JobOutcome) : undefined,
      control: (control as BatchControl | null) ?? 'running',
      existing: (existing as ExistingPolicy | null) ?? 'dead-letter',
      input: input ? (JSON.parse(input) as unknown) : undefined,
      admitted: admitted === 1,
    };
  }

  /**
   * May this job call Feishu now? Resolves with the batch's control; `running` also notes the call
   * in flight and, given the job's journal, begins the call in it in the same step (the journal
   * before it given). Without the journal it only checks again a call already begun.
   */
  async admitCall(
    batchId: string,
    jobId: string,
    journal?: AttemptJournal,
  ): Promise<{ control: BatchControl; journal?: JournalState }> {
    const k = this.keys.batch(batchId);
    const [control, before] = (await runScript(
      this.redis,
      ADMIT_CALL,
      journal ? 4 : 2,
      k.meta,
      k.inFlight,
      ...(journal?.keys ?? []),
      jobId,
      RETENTION_S,
      ...(journal?.beginCallArgs() ?? []),
    )) as [BatchControl, string[] | undefined];
    return before === undefined ? { control } : { control, journal: stateOfReply(before) };
  }

  /** The call admitted for this job has ended (an outcome recorded ends it too). */
  async callEnded(batchId: string, jobId: string): Promise<void> {
    await this.redis.srem(this.keys.batch(batchId).inFlight, jobId);
  }

  /** Notes a job set aside while its batch is paused (by line, to resume in order); resolves with the control. */
  async park(batchId: string, jobId: string, line: number): Promise<BatchControl> {
    const k = this.keys.batch(batchId);
    return (await runScript(this.redis, PARK, 2, k.meta, k.parked, jobId, line, RETENTION_S)) as BatchControl;
  }

  /** Takes up to `count` parked jobs off the list, lowest line first. */
  async unpark(batchId: string, count: number): Promise<string[]> {
    const popped = await this.redis.zpopmin(this.keys.batch(batchId).parked, count);
    return popped.filter((_, i) => i % 2 === 0);
  }

  /** Ids of the batch's jobs that have no outcome yet, in chunks. */
  async *pendingJobIds(batchId: string, chunkSize = 500): AsyncGenerator<string[]> {
    for await (const rows of this.rowsWithOutcomes(batchId, chunkSize)) {
      const pending = new Set<string>();
      for (const row of rows) if (!row.outcome) pending.add(row.jobId);
      if (pending.size > 0) yield [...pending];
    }
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

  /** Rows refused by validation, by line (a batch of before 0.3 kept them in a list). */
  async invalidRows(batchId: string): Promise<InvalidRow[]> {
    const k = this.keys.batch(batchId);
    const [byLine, legacy] = await Promise.all([
      this.redis.hvals(k.invalidLines),
      this.redis.lrange(k.invalid, 0, -1),
    ]);
    return [...legacy, ...byLine].map((l) => JSON.parse(l) as InvalidRow).sort((a, b) => a.line - b.line);
  }

  /**
   * Every accepted row with its job's outcome (undefined while pending), in line order, in chunks:
   * lines are read by number, a range at a time, so memory holds one chunk whatever the batch's size.
   * A row that repeats another line shows that line's job and outcome.
   */
  async *rowsWithOutcomes(batchId: string, linesPerChunk = 2000): AsyncGenerator<BatchRow[]> {
    const k = this.keys.batch(batchId);
    const [maxLineField, seq] = await this.redis.hmget(k.meta, 'maxLine', 'seq');
    const maxLine = Number(maxLineField ?? (await this.scanMaxLine(batchId)));
    for (let first = 1; first <= maxLine; first += linesPerChunk) {
      const lines = Array.from({ length: Math.min(linesPerChunk, maxLine - first + 1) }, (_, i) => first + i);
      const raw = await this.redis.hmget(k.rows, ...lines.map(String));
      const rows = seq == null ? legacyRows(lines, raw) : await this.rowsOf(k.rows, seq, lines, raw);
      if (rows.length === 0) continue;
      const outcomes = await this.redis.hmget(k.outcomes, ...rows.map((r) => r.jobId));
      yield rows.map((r, i) => {
        const outcome = outcomes[i];
        return outcome ? { ...r, outcome: JSON.parse(outcome) as JobOutcome } : r;
      });
    }
  }

  /** Rows as stored since 0.3: the input, or `=N` for a repeat of line N (read too when outside the chunk). */
  private async rowsOf(
    rowsKey: string,
    seq: string,
    lines: readonly number[],
    raw: readonly (string | null)[],
  ): Promise<Omit<BatchRow, 'outcome'>[]> {
    const stored = new Map<number, string>();
    raw.forEach((value, i) => value !== null && stored.set(lines[i]!, value));
    const firstLineOf = (value: string) => (value.startsWith('=') ? Number(value.slice(1)) : undefined);
    const outside = [...new Set([...stored.values()].map(firstLineOf))].filter(
      (line): line is number => line !== undefined && !stored.has(line),
    );
    if (outside.length > 0) {
      const found = await this.redis.hmget(rowsKey, ...outside.map(String));
      outside.forEach((line, i) => found[i] != null && stored.set(line, found[i]!));
    }
    const rows: Omit<BatchRow, 'outcome'>[] = [];
    for (const line of lines) {
      const value = stored.get(line);
      if (value === undefined) continue;
      const jobLine = firstLineOf(value) ?? line;
      const input = stored.get(jobLine);
      if (input === undefined) continue;
      rows.push({
        line,
        jobId: hireJobId(seq, jobLine),
        input: JSON.parse(input) as Record<string, unknown>,
      });
    }
    return rows;
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

/** Rows as stored before 0.3: `{ j: job id, i: input }`. */
function legacyRows(lines: readonly number[], raw: readonly (string | null)[]): Omit<BatchRow, 'outcome'>[] {
  const rows: Omit<BatchRow, 'outcome'>[] = [];
  raw.forEach((value, i) => {
    if (value === null) return;
    const row = JSON.parse(value) as { j: string; i: Record<string, unknown> };
    rows.push({ line: lines[i]!, jobId: row.j, input: row.i });
  });
  return rows;
}
