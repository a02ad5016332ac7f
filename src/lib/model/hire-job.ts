import { hash } from 'node:crypto';
import { z } from 'zod';
import type { InputOf, Operation } from '../feishu/hire-schemas';

/** Where a job's input came from, so a dead letter can point back at the row. */
export interface RowSource {
  file?: string;
  line: number;
}

/**
 * What a create or terminate job carries in BullMQ: its batch and line. The row's input is stored
 * once, in the batch (the results file needs it after the job has left the queue); the worker
 * reads it there. Kept small on purpose: a job whose fields all stay under Redis's
 * `hash-max-listpack-value` (64 bytes) is stored in half the memory. No token or secret here.
 */
export interface HireJobData {
  batchId: string;
  /** The row's number in its batch: its line for the batch's first file, a number after the rest for later rows. */
  line: number;
}

/** A row as a worker handles it: what the job names, with the input read from its batch. */
export type HireRow = {
  [O in Operation]: {
    operation: O;
    batchId: string;
    /** The row's number in its batch (the job's `line`). */
    line: number;
    input: InputOf[O];
    /** The row's source in its batch and its line there. */
    origin?: { source: number; line: number };
  };
}[Operation];

export const hireJobDataSchema = z.object({ batchId: z.string(), line: z.number().int().positive() });
/** Batch ids go into job names and keys: letters, digits, `.`, `_`, `-`. */
export const batchIdPattern = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Stable JSON: keys sorted at every level, so equal inputs hash equally. Valid JSON (the batch
 * stores it as the row's input), built in one string per object: it runs for every row.
 */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  let json = '';
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined) continue;
    json += `${json === '' ? '' : ','}${JSON.stringify(key)}:${canonical(field)}`;
  }
  return `{${json}}`;
}

/**
 * The job of a batch's line: the batch's sequence number and the line, both in base 36 (a
 * million-row batch's ids stay under 8 characters, and so does the job's stored options). The
 * same line of the same batch always gets the same id, so enqueuing it again while its job is
 * still known makes no second job. BullMQ ids may not contain `:` nor be integers; these don't.
 */
export function hireJobId(batchSeq: string, line: number, generation = 0): string {
  const id = `${batchSeq}-${line.toString(36)}`;
  // A row replayed in place runs under a new job: BullMQ keeps a finished job's id a while.
  return generation > 0 ? `${id}.${generation.toString(36)}` : id;
}

/** A row's input as its batch stores it, and what makes two rows of a batch the same row. */
export interface StoredInput {
  /** JSON with keys sorted at every level: the same input is always the same text. */
  json: string;
  /** 12 bytes of a digest of `json` (16 characters of base64). */
  digest: string;
}

/**
 * The input serialised once, for the batch and for its digest: a batch makes one job of a row
 * repeated on several lines, whatever the order of its fields. One-shot hashing into a string: a
 * Buffer per row cost twice as much at a million rows.
 */
export function storedInput(input: unknown): StoredInput {
  const json = canonical(input);
  return { json, digest: hash('sha256', json, 'base64').slice(0, 16) };
}
