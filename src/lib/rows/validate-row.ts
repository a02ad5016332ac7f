import { checkInput, describeIssues, type InputOf, type Operation } from '../feishu/hire-schemas';
import { normalizeRow } from './input-fields';
import type { RawRow } from './read-input-rows';

/** A row checked; `file` names its file when the rows of one enqueue come from several. */
export type CheckedRow<O extends Operation> =
  | { line: number; file?: string; ok: true; input: InputOf[O] }
  | { line: number; file?: string; ok: false; errors: string[]; input?: Record<string, unknown> };

/** A row against the seed's rules; each error names its field. */
export function validateRow<O extends Operation>(operation: O, row: RawRow): CheckedRow<O> {
  if (row.error !== undefined || row.value === undefined) {
    return { line: row.line, ok: false, errors: [row.error ?? 'empty row'] };
  }
  const normalized = normalizeRow(row.value);
  const parsed = checkInput(operation, normalized);
  if (!parsed.success)
    return { line: row.line, ok: false, errors: describeIssues(parsed.error), input: normalized };
  return { line: row.line, ok: true, input: parsed.data as InputOf[O] };
}

/** Each row of a stream, checked. */
export async function* validateRows<O extends Operation>(
  operation: O,
  rows: AsyncIterable<RawRow> | Iterable<RawRow>,
): AsyncGenerator<CheckedRow<O>> {
  for await (const row of rows) yield validateRow(operation, row);
}
