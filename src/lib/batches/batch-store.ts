import type { RedisClient } from '../redis/redis-connection';
import { BATCH_RETENTION_S } from '../retention';
import type { BatchControl, BatchPriority, BatchState, ExistingPolicy } from '../model/batch-state';
import { defineScript } from '../redis/lua-script';
import { parseStoredRow, type StoredRow } from '../model/stored-row';
import {
  isLegacyBatch,
  legacyCounts,
  legacyInvalidRows,
  legacyRows,
  scanMaxLine,
} from '../legacy/before-0.3';
import { BatchConflictError } from '../errors/batch-conflict-error';
import { BatchFinishedError } from '../errors/batch-finished-error';
import type { Operation } from '../feishu/hire-schemas';
import { jobStatuses, type JobOutcome, type JobStatus } from '../model/job-outcome';
import type { RedisKeys } from '../redis/redis-keys';
import { LegacyBatchError } from '../errors/legacy-batch-error';
import { hireJobId, type StoredInput } from '../model/hire-job';

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

const RETENTION_S = BATCH_RETENTION_S;

export const addRowsScript = defineScript({
  name: 'add-rows',
  keys: ['meta', 'rows', 'digests', 'invalidLines', 'outcomes', 'counts'],
  args: ['mode', 'seq', 'retentionS', 'sourceCount', 'sources', 'rows'],
  read: (reply) => reply as (number | string)[],
});

const ADDED: readonly AddedRow[] = ['new', 'known', 'repeat', 'served', 'invalid'];

export const setControlScript = defineScript({
  name: 'set-control',
  keys: ['meta', 'inFlight', 'rows', 'counts'],
  args: ['control'],
  read: (reply) => reply as [BatchControl, number, number] | null,
});

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
    } else if (isLegacyBatch({ seq: await this.redis.hget(k.meta, 'seq') })) {
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
    const args: (string | number)[] = [];
    for (const row of rows) {
      if ('refused' in row) args.push(positionOf.get(row.source)!, row.line, '', JSON.stringify(row.refused));
      else args.push(positionOf.get(row.source)!, row.line, row.digest, row.json);
    }
    const replies = await addRowsScript.run(
      this.redis,
      {
        meta: k.meta,
        rows: k.rows,
        digests: k.digests,
        invalidLines: k.invalidLines,
        outcomes: k.outcomes,
        counts: k.counts,
      },
      { mode, seq, retentionS: RETENTION_S, sourceCount: sources.length, sources, rows: args },
    );
    return rows.map((_, i) => ({
      status: ADDED[Number(replies[3 * i])]!,
      jobRow: Number(replies[3 * i + 1]),
      jobId: String(replies[3 * i + 2]),
    }));
  }

  /** The ids of the jobs of these rows (a batch's jobs are named by its number and their row's). */
  async jobIdsOf(batchId: string, rows: readonly number[]): Promise<string[]> {
    const seq = await this.redis.hget(this.keys.batch(batchId).meta, 'seq');
    if (seq === null || isLegacyBatch({ seq })) throw new LegacyBatchError(batchId);
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
    const [rows, invalid, counts, [sealed, control, repeats, seq]] = await Promise.all([
      this.redis.hlen(k.rows),
      this.redis.hlen(k.invalidLines),
      this.redis.hgetall(k.counts),
      this.redis.hmget(k.meta, 'sealed', 'control', 'repeats', 'seq'),
    ]);
    // A row is a job unless it repeats another (a batch of before 0.3 listed its jobs).
    const legacy = isLegacyBatch({ seq }) ? await legacyCounts(this.redis, k) : undefined;
    const jobs = legacy ? legacy.jobs : rows - Number(repeats ?? 0);
    const c = Object.fromEntries(jobStatuses.map((s) => [s, Number(counts[s] ?? 0)])) as Record<
      JobStatus,
      number
    >;
    const done = jobStatuses.reduce((sum, s) => sum + c[s], 0);
    const batchControl = (control as BatchControl | null) ?? 'running';
    const finished = (sealed === '1' || batchControl === 'cancelled') && done >= jobs;
    const state: BatchState =
      batchControl === 'cancelled' ? 'cancelled' : finished ? 'finished' : batchControl;
    const total = (legacy ? legacy.jobs + legacy.invalid : rows) + invalid;
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
    const answer = await setControlScript.run(
      this.redis,
      { meta: k.meta, inFlight: k.inFlight, rows: k.rows, counts: k.counts },
      { control },
    );
    if (!answer) return undefined;
    return { before: answer[0], inFlight: Number(answer[1]), notDone: Number(answer[2]) };
  }

  /** What the operator asked of the batch; `running` for a batch Redis no longer knows. */
  async controlOf(batchId: string): Promise<BatchControl> {
    return (
      ((await this.redis.hget(this.keys.batch(batchId).meta, 'control')) as BatchControl | null) ?? 'running'
    );
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

  /** Fixes the batch's end, once, so every later report says the same. */
  async markFinished(batchId: string, finishedAtMs: number): Promise<void> {
    await this.redis.hsetnx(this.keys.batch(batchId).meta, 'finishedAtMs', String(finishedAtMs));
  }

  /** Rows refused by validation, by line (a batch of before 0.3 kept them in a list). */
  async invalidRows(batchId: string): Promise<(InvalidRow & { source: number })[]> {
    const k = this.keys.batch(batchId);
    const [byOrigin, legacy] = await Promise.all([
      this.redis.hgetall(k.invalidLines),
      legacyInvalidRows(this.redis, k),
    ]);
    const rows = [
      ...legacy,
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
    const maxLine = Number(meta.maxLine ?? (await scanMaxLine(this.redis, k.rows)));
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
