/**
 * Batches and jobs written by hire-queue before 0.3, in one place. Then a job carried its input
 * (now it names its batch and row, and the batch stores the input), a batch listed its job ids and
 * kept refused rows in a list, and rows were stored as `{ j: job id, i: input }`. Workers still
 * process such jobs and reports still read such batches after an upgrade; more rows cannot be
 * added to them (`LegacyBatchError`). Every key they use expires with the batch retention (30
 * days), so this file and its callers' uses can go 30 days after the last fleet upgraded.
 */
import { z } from 'zod';
import {
  inputSchemas,
  type CreateApplicationInput,
  type Operation,
  type TerminateJobInput,
} from '../feishu/hire-schemas';
import type { RowSource } from '../model/hire-job';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** A job enqueued before 0.3, which carried its input itself. */
export type LegacyHireJobData =
  | { operation: 'create'; input: CreateApplicationInput; batchId: string; source?: RowSource }
  | { operation: 'terminate'; input: TerminateJobInput; batchId: string; source?: RowSource };

const sourceSchema = z.object({ file: z.string().optional(), line: z.number().int() }).optional();
const legacyHireJobDataSchema = z.discriminatedUnion('operation', [
  z.object({
    operation: z.literal('create'),
    input: inputSchemas.create,
    batchId: z.string(),
    source: sourceSchema,
  }),
  z.object({
    operation: z.literal('terminate'),
    input: inputSchemas.terminate,
    batchId: z.string(),
    source: sourceSchema,
  }),
]);

/** A job of before 0.3 as a worker handles it: its batch, its line, the input it carries and its file. */
export interface LegacyJob {
  operation: Operation;
  batchId: string;
  line: number;
  carried: unknown;
  source?: RowSource | undefined;
}

/** The job's data read as a job of before 0.3, or undefined when it is not one. */
export function decodeLegacyJob(data: unknown): LegacyJob | undefined {
  const legacy = legacyHireJobDataSchema.safeParse(data);
  if (!legacy.success) return undefined;
  const { operation, batchId, source, input } = legacy.data;
  return {
    operation,
    batchId,
    line: source?.line ?? 0,
    carried: input,
    ...(source
      ? { source: { line: source.line, ...(source.file !== undefined ? { file: source.file } : {}) } }
      : {}),
  };
}

/** A batch opened before 0.3 has no number: its jobs are not named by their rows. */
export function isLegacyBatch(meta: { seq?: string | null | undefined }): boolean {
  return meta.seq == null;
}

type BatchKeys = ReturnType<RedisKeys['batch']>;

/** A legacy batch's jobs (it listed their ids) and rows refused (kept in a list). */
export async function legacyCounts(
  redis: RedisClient,
  k: BatchKeys,
): Promise<{ jobs: number; invalid: number }> {
  const [jobs, invalid] = await Promise.all([redis.scard(k.jobs), redis.llen(k.invalid)]);
  return { jobs, invalid };
}

/** Rows refused by validation in a legacy batch (appended again by every run of the same batch). */
export async function legacyInvalidRows(
  redis: RedisClient,
  k: BatchKeys,
): Promise<{ line: number; errors: string[]; input?: unknown; file?: string; source: number }[]> {
  const list = await redis.lrange(k.invalid, 0, -1);
  return list.map((l) => ({ ...(JSON.parse(l) as { line: number; errors: string[] }), source: 1 }));
}

/** Rows as stored before 0.3: `{ j: job id, i: input }`, at the line of their number. */
export function legacyRows(
  lines: readonly number[],
  raw: readonly (string | null)[],
): { row: number; line: number; source: number; jobId: string; input: Record<string, unknown> }[] {
  const rows: { row: number; line: number; source: number; jobId: string; input: Record<string, unknown> }[] =
    [];
  raw.forEach((value, i) => {
    if (value === null) return;
    const row = JSON.parse(value) as { j: string; i: Record<string, unknown> };
    rows.push({ row: lines[i]!, line: lines[i]!, source: 1, jobId: row.j, input: row.i });
  });
  return rows;
}

/** The highest line of a batch written before `maxLine` was kept: its line numbers only, scanned once. */
export async function scanMaxLine(redis: RedisClient, rowsKey: string): Promise<number> {
  let max = 0;
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(rowsKey, cursor, 'COUNT', 1000);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) max = Math.max(max, Number(flat[i]));
  } while (cursor !== '0');
  return max;
}
