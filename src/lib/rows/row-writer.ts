import { stringify } from 'csv-stringify';
import { createWriteStream } from 'node:fs';
import { extname } from 'node:path';
import { finished } from 'node:stream/promises';
import { UsageError } from '../errors/usage-error';
import { fieldsOf, LIST_SEPARATOR } from './input-fields';
import type { Operation } from '../feishu/hire-schemas';

export type RowFileFormat = 'csv' | 'ndjson';

export function rowFileFormat(path: string, flag: string): RowFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  throw new UsageError(`${flag} ${path}: name it .csv or .ndjson to choose the format`);
}

const cell = (value: unknown) =>
  Array.isArray(value) ? value.join(LIST_SEPARATOR) : value === undefined ? '' : String(value);

/**
 * Writes rows to a CSV (the operation's fields, then `extraColumns`) or NDJSON file, streamed.
 * Files written here are ones the producers read back.
 */
export function openRowWriter(path: string, operation: Operation, extraColumns: string[], flag: string) {
  const format = rowFileFormat(path, flag);
  const out = createWriteStream(path);
  const columns = [...fieldsOf[operation], ...extraColumns];
  const csv = format === 'csv' ? stringify({ header: true, columns }) : undefined;
  if (csv) csv.pipe(out);
  return {
    write(row: Record<string, unknown>): void {
      if (csv) csv.write(columns.map((c) => cell(row[c])));
      else out.write(`${JSON.stringify(row)}\n`);
    },
    async close(): Promise<void> {
      if (csv) csv.end();
      else out.end();
      await finished(out);
    },
  };
}
