import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  inputSchemas,
  type CreateApplicationInput,
  type Operation,
  type TerminateJobInput,
} from '../feishu/hire-schemas';

/** Where a job's input came from, so a dead letter can point back at the row. */
export interface RowSource {
  file?: string;
  line: number;
}

/** What a create or terminate job carries in BullMQ. No token or secret ever goes in here. */
export type HireJobData =
  | { operation: 'create'; input: CreateApplicationInput; batchId: string; source?: RowSource }
  | { operation: 'terminate'; input: TerminateJobInput; batchId: string; source?: RowSource };

const sourceSchema = z.object({ file: z.string().optional(), line: z.number().int() }).optional();
export const hireJobDataSchema = z.discriminatedUnion('operation', [
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

/** Batch ids go into job ids and keys: letters, digits, `.`, `_`, `-`. */
export const batchIdPattern = /^[A-Za-z0-9._-]{1,100}$/;

/** Stable JSON: keys sorted at every level, so equal inputs hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The same row of the same batch always gets the same id, so enqueuing it twice while the first
 * job is still known makes one job. BullMQ ids may not contain `:` nor be integers; these don't.
 */
export function hireJobId(operation: Operation, batchId: string, input: unknown): string {
  const digest = createHash('sha256').update(canonical(input)).digest('hex').slice(0, 32);
  return `${operation}-${batchId}-${digest}`;
}
