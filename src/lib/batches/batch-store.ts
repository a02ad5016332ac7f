import type { Redis } from 'ioredis';
import { BatchConflictError } from '../errors/batch-conflict-error';
import type { Operation } from '../feishu/hire-schemas';
import type { JobOutcome, JobStatus } from '../jobs/job-outcome';
import type { RedisKeys } from '../redis/redis-keys';

export interface BatchMeta {
  batchId: string;
  operation: Operation;
  createdAtMs: number;
  /** The input file, when the batch came from one. */
  source?: string;
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
  /** Every row is enqueued (the batch is sealed) and every job has its outcome. */
  finished: boolean;
}

const RECORD_OUTCOME = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0`;

const RETENTION_S = 30 * 86_400;

/**
 * A batch in Redis: its rows (line -> job id), rows rejected by validation, and each job's outcome.
 * Outcomes are recorded once per job however often a job is retried or recovered.
 */
export class BatchStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The key prefix these batches live under (messages name it: a batch under another is not found). */
  get prefix(): string {
    return this.keys.prefix;
  }

  /** Opens a batch; a batch id given again (a cron retry) continues that batch. */
  async create(meta: Omit<BatchMeta, 'sealed'>): Promise<void> {
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
          ...(meta.source !== undefined ? { source: meta.source } : {}),
        })
        .zadd(this.keys.batches, meta.createdAtMs, meta.batchId)
        .exec();
    }
    await this.redis.hset(k.meta, 'sealed', '0');
    await this.touch(meta.batchId);
  }

  /** Rows accepted into jobs: line -> job id and input (for the results file). */
  async addRows(batchId: string, rows: { line: number; jobId: string; input: unknown }[]): Promise<void> {
    if (rows.length === 0) return;
    const k = this.keys.batch(batchId);
    const multi = this.redis.multi();
    multi.hset(
      k.rows,
      Object.fromEntries(rows.map((r) => [String(r.line), JSON.stringify({ j: r.jobId, i: r.input })])),
    );
    multi.sadd(k.jobs, ...rows.map((r) => r.jobId));
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

  /** Records how a job ended, once; later calls for the same job change nothing (and answer false). */
  async recordOutcome(batchId: string, jobId: string, outcome: JobOutcome): Promise<boolean> {
    const k = this.keys.batch(batchId);
    const recorded = await this.redis.eval(
      RECORD_OUTCOME,
      2,
      k.outcomes,
      k.counts,
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
      sealed: m.sealed === '1',
      ...(m.source !== undefined ? { source: m.source } : {}),
      ...(m.sealedAtMs !== undefined ? { sealedAtMs: Number(m.sealedAtMs) } : {}),
      ...(m.finishedAtMs !== undefined ? { finishedAtMs: Number(m.finishedAtMs) } : {}),
    };
  }

  /** How far the batch is: the one answer to "is this batch done?". */
  async progress(batchId: string): Promise<BatchProgress> {
    const k = this.keys.batch(batchId);
    const [jobs, counts, sealed] = await Promise.all([
      this.redis.scard(k.jobs),
      this.redis.hgetall(k.counts),
      this.redis.hget(k.meta, 'sealed'),
    ]);
    const c = {
      succeeded: Number(counts.succeeded ?? 0),
      alreadyDone: Number(counts.alreadyDone ?? 0),
      deadLettered: Number(counts.deadLettered ?? 0),
    };
    const done = c.succeeded + c.alreadyDone + c.deadLettered;
    return { jobs, done, counts: c, finished: sealed === '1' && done >= jobs };
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

  /** Every accepted row with its job's outcome (undefined while pending), in line order, streamed in chunks. */
  async *rowsWithOutcomes(batchId: string): AsyncGenerator<BatchRow[]> {
    const k = this.keys.batch(batchId);
    let cursor = '0';
    const all: Omit<BatchRow, 'outcome'>[] = [];
    do {
      const [next, flat] = await this.redis.hscan(k.rows, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const row = JSON.parse(flat[i + 1]!) as { j: string; i: Record<string, unknown> };
        all.push({ line: Number(flat[i]), jobId: row.j, input: row.i });
      }
    } while (cursor !== '0');
    all.sort((a, b) => a.line - b.line);
    for (let start = 0; start < all.length; start += 1000) {
      const chunk = all.slice(start, start + 1000);
      const outcomes = await this.redis.hmget(k.outcomes, ...chunk.map((r) => r.jobId));
      yield chunk.map((r, i) => {
        const raw = outcomes[i];
        return raw ? { ...r, outcome: JSON.parse(raw) as JobOutcome } : r;
      });
    }
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
