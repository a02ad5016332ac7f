import type { RedisClient } from '../redis/redis-connection';
import { BATCH_RETENTION_S } from '../retention';
import type { BatchControl, BatchPriority, BatchState, ExistingPolicy } from '../model/batch-state';
import { runScript } from '../redis/run-script';
import { BatchedScript } from '../redis/batched-script';
import { BatchConflictError } from '../errors/batch-conflict-error';
import { BatchFinishedError } from '../errors/batch-finished-error';
import type { Operation } from '../feishu/hire-schemas';
import { jobStatuses, type JobOutcome, type JobStatus } from '../model/job-outcome';
import type { RedisKeys } from '../redis/redis-keys';
import { LegacyBatchError } from '../errors/legacy-batch-error';
import { hireJobId, type StoredInput } from '../model/hire-job';
import {
  BEGIN_CALL_FN,
  stateOfReply,
  type AttemptJournal,
  type JournalState,
} from '../journal/attempt-journal';
import { RECORD_ENTRIES_FN, type LedgerWrite } from '../ledger/application-ledger';

export type { BatchControl, BatchPriority, BatchState, ExistingPolicy } from '../model/batch-state';

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
  /** The file (or other source) the row came from, when the batch knows it. */
  file?: string;
}

/**
 * A row being added to a batch: where it came from (a file's name, `stdin`, `api`, ...), its line
 * there, and its input as stored (see `storedInput`); or a row refused by validation.
 */
export type NewRow =
  ({ source: string; line: number } & StoredInput) | { source: string; line: number; refused: InvalidRow };

/**
 * What adding a row found: `new` (its job is to be queued), `known` (an earlier run added this row,
 * same source, line and input; queued again only if it has no outcome, BullMQ keeping one job per
 * id), `repeat` (the same input as another row, of this file or another: that row's job serves
 * both), `served` (such a repeat an earlier run recorded already), `invalid` (recorded as refused).
 */
export type AddedRow = 'new' | 'known' | 'repeat' | 'served' | 'invalid';

/** What adding one row found, and the row whose job serves it with that job's id (0 and '' for `invalid`). */
export interface AddedRowResult {
  status: AddedRow;
  jobRow: number;
  jobId: string;
}

/** An accepted row: where it came from, its job, input and (once done) outcome. */
export interface BatchRow {
  /** The row's number in its batch (its line for the batch's first file). */
  row: number;
  /** Its line in its file. */
  line: number;
  /** Its source's number in the batch (1 for the first file), and the source's name when known. */
  source: number;
  file?: string;
  jobId: string;
  input: Record<string, unknown>;
  outcome?: JobOutcome;
}

export interface BatchProgress {
  /** Rows the batch holds, accepted and refused, as its report counts them (its `total`). */
  rows: number;
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
 * either way (the job's journal). ARGV: job id, outcome, status, 0 or 2, retention s, the ledger's
 * entries. The call that led here (if any) is over: the job leaves the batch's in-flight set in the
 * same step, and the application it made enters the ledger in it. The outcome's keys expire with
 * the batch whoever writes first: a batch's first outcome may come after its producer last touched
 * it.
 */
const RECORD_OUTCOME = `${RECORD_ENTRIES_FN}
local ledgerKeys = tonumber(ARGV[4])
redis.call('SREM', KEYS[3], ARGV[1])
for i = 4 + ledgerKeys, #KEYS do redis.call('DEL', KEYS[i]) end
if ledgerKeys > 0 then recordLedgerEntries(KEYS[4], KEYS[5], 6) end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  return 1
end
return 0`;

const RETENTION_S = BATCH_RETENTION_S;

/**
 * KEYS: meta, rows, digests, invalid lines, outcomes, counts. ARGV: mode (`replay` or ''), the
 * batch's number, the retention in seconds (every key written expires with the batch), how many
 * source names follow, the names, then per row: its source's position among the names, its line,
 * its digest ('' for a row refused by validation) and its input JSON (or the refused row as JSON).
 *
 * A row is numbered in its batch: the first file's rows by their line, every later row after the
 * highest number so far, so any number of files share a batch without one row taking another's
 * place. The number names the row's job. A row's value is `SOURCE:LINE|` (`SOURCE:LINE:G|` once
 * replayed G times) then its input, or `=N` when row N of the same file has the same input.
 * Digests are kept for the batch's life: the same input again from the same file and line is the
 * same row (`known`); from another line or file, a repeat that shares its job (recorded once per
 * file and line, so it is reported on its own line); with another input, a new row, while the old
 * one keeps its outcome under its old input. In `replay` mode an
 * input whose job already ended runs again: its own row (same file and line) is reopened under a
 * new job (its old outcome taken out of the counts), any other gets a new row. Replies per row:
 * status (0 new, 1 known, 2 repeat, 3 served by another row's job, 4 invalid), the number of the
 * row whose job serves it, and that job's id.
 */
const ADD_ROWS = `
local function base36(n)
  local digits, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  repeat
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = (n - d) / 36
  until n == 0
  return s
end
local replay, seq, retentionS, nSources = ARGV[1] == 'replay', ARGV[2], ARGV[3], tonumber(ARGV[4])
local sourceCount = tonumber(redis.call('HGET', KEYS[1], 'sourceCount') or '0')
local maxLine = tonumber(redis.call('HGET', KEYS[1], 'maxLine') or '0')
if sourceCount == 0 and maxLine > 0 then
  -- A batch written before rows named their source: its rows are its first source's.
  local first = redis.call('HGET', KEYS[1], 'file') or redis.call('HGET', KEYS[1], 'source') or ''
  redis.call('HSET', KEYS[1], 'source:1', first, 'sourceOf:' .. first, 1)
  sourceCount = 1
end
local indexOf = {}
for i = 1, nSources do
  local name = ARGV[4 + i]
  local index = tonumber(redis.call('HGET', KEYS[1], 'sourceOf:' .. name) or '0')
  if index == 0 then
    sourceCount = sourceCount + 1
    index = sourceCount
    redis.call('HSET', KEYS[1], 'source:' .. index, name, 'sourceOf:' .. name, index)
  end
  indexOf[i] = index
end
redis.call('HSET', KEYS[1], 'sourceCount', sourceCount)
-- A row's origin ('SOURCE:LINE'), its replay generation and its body, from its stored value.
local function parse(value, n)
  local bar = string.find(value, '|', 1, true)
  if not bar or string.sub(value, 1, 1) == '{' or string.sub(value, 1, 1) == '=' then
    return '1:' .. n, 0, value
  end
  local s, l, g = string.match(string.sub(value, 1, bar - 1), '^(%d+):(%d+):?(%d*)$')
  return s .. ':' .. l, tonumber(g) or 0, string.sub(value, bar + 1)
end
local function jobIdOf(n, generation)
  if generation > 0 then return seq .. '-' .. base36(n) .. '.' .. base36(generation) end
  return seq .. '-' .. base36(n)
end
local replies = {}
local repeats, reopened = 0, 0
local function reply(status, n, jobId)
  replies[#replies + 1] = status
  replies[#replies + 1] = n
  replies[#replies + 1] = jobId
end
local function newRow(source, line, value)
  local n = maxLine + 1
  if source == 1 and line > maxLine then n = line end
  maxLine = n
  redis.call('HSET', KEYS[2], n, value)
  return n
end
for i = 5 + nSources, #ARGV, 4 do
  local source, line = indexOf[tonumber(ARGV[i])], tonumber(ARGV[i + 1])
  local digest, payload = ARGV[i + 2], ARGV[i + 3]
  local origin = source .. ':' .. line
  if digest == '' then
    redis.call('HSET', KEYS[4], origin, payload)
    reply(4, 0, '')
  else
    redis.call('HDEL', KEYS[4], origin)
    if source == 1 then redis.call('HDEL', KEYS[4], line) end
    local m = tonumber(redis.call('HGET', KEYS[3], digest) or '0')
    if m == 0 and source == 1 then
      -- A batch sealed before digests were kept: its line may hold this input already.
      local old = redis.call('HGET', KEYS[2], line)
      if old and (string.sub(old, 1, 1) == '{' or string.sub(old, 1, 1) == '=') and (old == payload or string.sub(old, 1, 1) == '=') then
        m = line
        if string.sub(old, 1, 1) == '=' then m = tonumber(string.sub(old, 2)) end
        redis.call('HSET', KEYS[3], digest, m)
      end
    end
    local heldOrigin, generation, body = nil, 0, nil
    if m ~= 0 then
      local held = redis.call('HGET', KEYS[2], m)
      if held then heldOrigin, generation, body = parse(held, m) else m = 0 end
    end
    if m ~= 0 and replay then
      local ended = redis.call('HGET', KEYS[5], jobIdOf(m, generation))
      if ended and heldOrigin == origin then
        -- The row's own letter replayed: the row runs again under a new job, its old outcome out of the counts.
        redis.call('HDEL', KEYS[5], jobIdOf(m, generation))
        redis.call('HINCRBY', KEYS[6], cjson.decode(ended).status, -1)
        generation = generation + 1
        redis.call('HSET', KEYS[2], m, origin .. ':' .. generation .. '|' .. body)
        reopened = reopened + 1
        reply(0, m, jobIdOf(m, generation))
        m = -1
      elseif ended then
        m = 0
      end
    end
    if m == 0 then
      local n = newRow(source, line, origin .. '|' .. payload)
      redis.call('HSET', KEYS[3], digest, n)
      reopened = reopened + 1
      reply(0, n, jobIdOf(n, 0))
    elseif m > 0 then
      if heldOrigin == origin then
        reply(1, m, jobIdOf(m, generation))
      else
        local repeatKey = digest .. '@' .. origin
        if redis.call('HEXISTS', KEYS[3], repeatKey) == 1 then
          reply(3, m, jobIdOf(m, generation))
        else
          local n = newRow(source, line, origin .. '|=' .. m)
          redis.call('HSET', KEYS[3], repeatKey, n)
          repeats = repeats + 1
          reply(2, m, jobIdOf(m, generation))
        end
      end
    end
  end
end
redis.call('HSET', KEYS[1], 'maxLine', maxLine)
if repeats > 0 then redis.call('HINCRBY', KEYS[1], 'repeats', repeats) end
-- New work reopens a batch that had finished: its end is fixed again when it ends.
if reopened > 0 then redis.call('HDEL', KEYS[1], 'finishedAtMs') end
for k = 1, 4 do redis.call('EXPIRE', KEYS[k], retentionS) end
return replies`;

const ADDED: readonly AddedRow[] = ['new', 'known', 'repeat', 'served', 'invalid'];

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
 * whether the call was admitted (only a job without an outcome whose row is there), and whether
 * the batch is still known.
 */
const JOB_CONTEXT = `${ADMIT_FN}
local outcome = redis.call('HGET', KEYS[2], ARGV[1])
local m = redis.call('HMGET', KEYS[1], 'control', 'existing', 'operation')
local row = false
if ARGV[2] ~= '' and not outcome then row = redis.call('HGET', KEYS[3], ARGV[2]) end
local admitted = 0
if #KEYS > 3 and not outcome and (ARGV[2] == '' or row) then
  local admission = admit(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], ARGV[3], ARGV[4], ARGV[5])
  if admission[2] then admitted = 1 end
end
return { outcome or false, m[1] or false, m[2] or false, row, admitted, m[3] and 1 or 0 }`;

/** What a worker reads of its job's batch before the call. */
export interface JobReading {
  /** Set when the job already ended (a worker died after recording it): no call. */
  outcome: JobOutcome | undefined;
  control: BatchControl;
  existing: ExistingPolicy;
  /** The row's input as stored (undefined when the batch lost it, or for a job carrying its own). */
  input: unknown;
  /** Where the row came from: its source's number in the batch and its line there. */
  origin?: { source: number; line: number };
  /** The call was admitted and begun in the job's journal in the same step (see `jobContext`). */
  admitted: boolean;
  /** False when the batch's record is gone (expired, deleted, or lost by Redis): the job is an orphan. */
  batchKnown: boolean;
}

/**
 * KEYS: meta, in-flight, rows, counts. ARGV: control. Replies with the control before, the calls in
 * flight and the jobs not done at the change (one step: no call starts after it), or false for no
 * batch.
 */
const SET_CONTROL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local before = redis.call('HGET', KEYS[1], 'control') or 'running'
if before ~= 'cancelled' then redis.call('HSET', KEYS[1], 'control', ARGV[1]) end
local jobs = redis.call('HLEN', KEYS[3]) - tonumber(redis.call('HGET', KEYS[1], 'repeats') or '0')
for _, n in ipairs(redis.call('HVALS', KEYS[4])) do jobs = jobs - tonumber(n) end
return { before, redis.call('SCARD', KEYS[2]), jobs }`;

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
    const [existing, control] = await this.redis.hmget(k.meta, 'operation', 'control');
    if (existing != null && existing !== meta.operation) {
      throw new BatchConflictError(meta.batchId, existing, meta.operation);
    }
    // A cancelled batch takes no more rows: they would end cancelled, never called.
    if (control === 'cancelled')
      throw new BatchFinishedError(meta.batchId, 'cancelled', 'enqueue into it (use a new batch id)');
    if (existing == null) {
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
        // The index forgets batches whose keys have expired: it stays as long as the retention.
        .zremrangebyscore(this.keys.batches, '-inf', meta.createdAtMs - RETENTION_S * 1000)
        .exec();
    } else if ((await this.redis.hget(k.meta, 'seq')) === null) {
      throw new LegacyBatchError(meta.batchId);
    }
    await this.redis.hset(k.meta, 'sealed', '0');
    await this.touch(meta.batchId);
  }

  /**
   * Adds rows (accepted ones with their input stored once, the worker and the results file read it
   * there; refused ones with their reasons), in one step. `replay`: an input whose job already ended
   * gets a new row and job, rather than sharing the ended one. Resolves with what each row was: see
   * `AddedRow`.
   */
  async addRows(
    batchId: string,
    seq: string,
    rows: readonly NewRow[],
    mode: '' | 'replay' = '',
  ): Promise<AddedRowResult[]> {
    if (rows.length === 0) return [];
    const k = this.keys.batch(batchId);
    const sources = [...new Set(rows.map((row) => row.source))];
    const positionOf = new Map(sources.map((source, i) => [source, i + 1]));
    const args: (string | number)[] = [mode, seq, RETENTION_S, sources.length, ...sources];
    for (const row of rows) {
      if ('refused' in row) args.push(positionOf.get(row.source)!, row.line, '', JSON.stringify(row.refused));
      else args.push(positionOf.get(row.source)!, row.line, row.digest, row.json);
    }
    const replies = (await runScript(
      this.redis,
      ADD_ROWS,
      6,
      k.meta,
      k.rows,
      k.digests,
      k.invalidLines,
      k.outcomes,
      k.counts,
      ...args,
    )) as (number | string)[];
    return rows.map((_, i) => ({
      status: ADDED[Number(replies[3 * i])]!,
      jobRow: Number(replies[3 * i + 1]),
      jobId: String(replies[3 * i + 2]),
    }));
  }

  /** The ids of the jobs of these rows (a batch's jobs are named by its number and their row's). */
  async jobIdsOf(batchId: string, rows: readonly number[]): Promise<string[]> {
    const seq = await this.redis.hget(this.keys.batch(batchId).meta, 'seq');
    if (seq === null) throw new LegacyBatchError(batchId);
    return rows.map((row) => hireJobId(seq, row));
  }

  /**
   * Every row is in (a batch continued later opens again). The input digests stay with the batch:
   * they tell a row read again from the same file and line from a new one.
   */
  async seal(batchId: string): Promise<void> {
    const k = this.keys.batch(batchId);
    await this.redis
      .multi()
      .hset(k.meta, { sealed: '1', sealedAtMs: String(Date.now()) })
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
      RETENTION_S,
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
    const [rows, invalid, legacyInvalid, legacyJobs, counts, [sealed, control, repeats, seq]] =
      await Promise.all([
        this.redis.hlen(k.rows),
        this.redis.hlen(k.invalidLines),
        this.redis.llen(k.invalid),
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
    const total = (seq == null ? legacyJobs : rows) + invalid + legacyInvalid;
    return { rows: total, jobs, done, counts: c, finished, control: batchControl, state };
  }

  /**
   * Pauses, resumes or cancels the batch. Resolves with the control it had and the calls of it in
   * flight then, or undefined when there is no such batch. A cancelled batch stays cancelled.
   */
  async setControl(
    batchId: string,
    control: BatchControl,
  ): Promise<{ before: BatchControl; inFlight: number; notDone: number } | undefined> {
    const k = this.keys.batch(batchId);
    const answer = (await runScript(
      this.redis,
      SET_CONTROL,
      4,
      k.meta,
      k.inFlight,
      k.rows,
      k.counts,
      control,
    )) as [string, number, number] | null;
    if (!answer) return undefined;
    return { before: answer[0] as BatchControl, inFlight: Number(answer[1]), notDone: Number(answer[2]) };
  }

  /** What the operator asked of the batch; `running` for a batch Redis no longer knows. */
  async controlOf(batchId: string): Promise<BatchControl> {
    return (
      ((await this.redis.hget(this.keys.batch(batchId).meta, 'control')) as BatchControl | null) ?? 'running'
    );
  }

  /**
   * What a worker needs before a job's call, in one step: see `JobReading`. Given the job's journal,
   * the call is also admitted as by `admitCall`, for a call that leaves right after this read.
   */
  async jobContext(
    batchId: string,
    jobId: string,
    line: number | undefined,
    admitting?: AttemptJournal,
  ): Promise<JobReading> {
    const k = this.keys.batch(batchId);
    const [outcome, control, existing, stored, admitted, batchKnown] = (await this.jobContexts.run(
      admitting ? 6 : 3,
      k.meta,
      k.outcomes,
      k.rows,
      ...(admitting ? [k.inFlight, ...admitting.keys] : []),
      jobId,
      line === undefined ? '' : String(line),
      ...(admitting ? [RETENTION_S, ...admitting.beginCallArgs()] : []),
    )) as [string | null, string | null, string | null, string | null, number, number];
    const row = stored && line !== undefined ? parseStoredRow(stored, line) : undefined;
    return {
      outcome: outcome ? (JSON.parse(outcome) as JobOutcome) : undefined,
      control: (control as BatchControl | null) ?? 'running',
      existing: (existing as ExistingPolicy | null) ?? 'dead-letter',
      input: row?.input !== undefined ? (JSON.parse(row.input) as unknown) : undefined,
      ...(row ? { origin: { source: row.source, line: row.line } } : {}),
      admitted: admitted === 1,
      batchKnown: batchKnown === 1,
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
  async invalidRows(batchId: string): Promise<(InvalidRow & { source: number })[]> {
    const k = this.keys.batch(batchId);
    const [byOrigin, legacy] = await Promise.all([
      this.redis.hgetall(k.invalidLines),
      this.redis.lrange(k.invalid, 0, -1),
    ]);
    const rows = [
      ...legacy.map((l) => ({ ...(JSON.parse(l) as InvalidRow), source: 1 })),
      ...Object.entries(byOrigin).map(([origin, l]) => {
        const colon = origin.indexOf(':');
        return { ...(JSON.parse(l) as InvalidRow), source: colon < 0 ? 1 : Number(origin.slice(0, colon)) };
      }),
    ];
    return rows.sort((a, b) => a.source - b.source || a.line - b.line);
  }

  /**
   * Every accepted row with its job's outcome (undefined while pending), in line order, in chunks:
   * lines are read by number, a range at a time, so memory holds one chunk whatever the batch's size.
   * A row that repeats another line shows that line's job and outcome.
   */
  async *rowsWithOutcomes(batchId: string, linesPerChunk = 2000): AsyncGenerator<BatchRow[]> {
    const k = this.keys.batch(batchId);
    const meta = await this.redis.hgetall(k.meta);
    const seq = meta.seq;
    const sources = sourceNamesOf(meta);
    const maxLine = Number(meta.maxLine ?? (await this.scanMaxLine(batchId)));
    for (let first = 1; first <= maxLine; first += linesPerChunk) {
      const lines = Array.from({ length: Math.min(linesPerChunk, maxLine - first + 1) }, (_, i) => first + i);
      const raw = await this.redis.hmget(k.rows, ...lines.map(String));
      const rows =
        seq === undefined ? legacyRows(lines, raw) : await this.rowsOf(k.rows, seq, sources, lines, raw);
      if (rows.length === 0) continue;
      const outcomes = await this.redis.hmget(k.outcomes, ...rows.map((r) => r.jobId));
      yield rows.map((r, i) => {
        const outcome = outcomes[i];
        return outcome ? { ...r, outcome: JSON.parse(outcome) as JobOutcome } : r;
      });
    }
  }

  /** Rows as stored since 0.3 (see `parseStoredRow`); a repeated row's input is read too when outside the chunk. */
  private async rowsOf(
    rowsKey: string,
    seq: string,
    sources: ReadonlyMap<number, string>,
    numbers: readonly number[],
    raw: readonly (string | null)[],
  ): Promise<Omit<BatchRow, 'outcome'>[]> {
    const stored = new Map<number, StoredRow>();
    raw.forEach((value, i) => value !== null && stored.set(numbers[i]!, parseStoredRow(value, numbers[i]!)));
    const outside = [...new Set([...stored.values()].map((row) => row.repeatOf))].filter(
      (n): n is number => n !== undefined && !stored.has(n),
    );
    if (outside.length > 0) {
      const found = await this.redis.hmget(rowsKey, ...outside.map(String));
      outside.forEach((n, i) => found[i] != null && stored.set(n, parseStoredRow(found[i]!, n)));
    }
    const rows: Omit<BatchRow, 'outcome'>[] = [];
    for (const n of numbers) {
      const row = stored.get(n);
      if (row === undefined) continue;
      const jobRow = row.repeatOf ?? n;
      const job = stored.get(jobRow);
      const input = job?.input;
      if (input === undefined) continue;
      const file = sources.get(row.source);
      rows.push({
        row: n,
        line: row.line,
        source: row.source,
        ...(file !== undefined && file !== '' ? { file } : {}),
        jobId: hireJobId(seq, jobRow, job!.generation),
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

  /** Every source the batch took rows from, in order (`source:N`). */
  async sourceNames(batchId: string): Promise<string[]> {
    const names = sourceNamesOf(await this.redis.hgetall(this.keys.batch(batchId).meta));
    return [...names.entries()].sort(([a], [b]) => a - b).map(([, name]) => name);
  }

  /** The name of the batch's source of this number (a file, `stdin`, `api`, ...), if known. */
  async sourceName(batchId: string, source: number): Promise<string | undefined> {
    const [name, file, label] = await this.redis.hmget(
      this.keys.batch(batchId).meta,
      `source:${source}`,
      'file',
      'source',
    );
    const found = name ?? (source === 1 ? (file ?? label) : null);
    return found === null || found === '' || found === 'api' ? undefined : found;
  }

  /** A job whose batch is gone was dropped: counted under its batch for `status`, expiring like a batch. */
  async noteLost(batchId: string): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.keys.lostBatches, batchId, 1)
      .expire(this.keys.lostBatches, RETENTION_S)
      .exec();
  }

  /** Batches whose jobs were dropped because the batch was gone, with how many. */
  async lostBatches(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.keys.lostBatches);
    return Object.fromEntries(Object.entries(raw).map(([id, n]) => [id, Number(n)]));
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
    rows.push({ row: lines[i]!, line: lines[i]!, source: 1, jobId: row.j, input: row.i });
  });
  return rows;
}

/** A row as the batch stores it: `SOURCE:LINE|` then its input JSON or `=N` (a repeat of row N). */
interface StoredRow {
  source: number;
  line: number;
  /** How often the row was replayed in place: its job's id says it. */
  generation: number;
  /** The input JSON, unless the row repeats another. */
  input?: string;
  repeatOf?: number;
}

/**
 * Reads a stored row. Rows written before rows named their source have no `SOURCE:LINE|`: they
 * are their batch's first source's, at the line of their number.
 */
export function parseStoredRow(value: string, n: number): StoredRow {
  let source = 1;
  let line = n;
  let generation = 0;
  let body = value;
  if (value[0] !== '{' && value[0] !== '=') {
    // Read by position, not split: a million-row report parses a million of these.
    const bar = value.indexOf('|');
    const first = value.indexOf(':');
    const second = value.indexOf(':', first + 1);
    const lineEnd = second === -1 || second > bar ? bar : second;
    source = Number(value.slice(0, first));
    line = Number(value.slice(first + 1, lineEnd));
    generation = lineEnd === bar ? 0 : Number(value.slice(lineEnd + 1, bar));
    body = value.slice(bar + 1);
  }
  return body[0] === '='
    ? { source, line, generation, repeatOf: Number(body.slice(1)) }
    : { source, line, generation, input: body };
}

/** The batch's sources by number, from its meta (`source:N`); a batch of before them has its file as 1. */
export function sourceNamesOf(meta: Record<string, string>): Map<number, string> {
  const names = new Map<number, string>();
  for (const [field, value] of Object.entries(meta))
    if (field.startsWith('source:')) names.set(Number(field.slice(7)), value);
  if (!names.has(1)) {
    const first = meta.file ?? meta.source;
    if (first !== undefined) names.set(1, first);
  }
  return names;
}
