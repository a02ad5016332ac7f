import { stringify } from 'csv-stringify';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { InvalidOptionError } from '../errors/invalid-option-error';
import type { Operation } from '../feishu/hire-schemas';
import { fieldsOf, LIST_SEPARATOR } from './input-fields';
import { rowFormatByExtension, rowFormatOf, type RowFormat } from './row-formats';

export interface RowWriter {
  /** Resolves at once, or once the file has taken what is buffered: a million rows never sit in memory. */
  write(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** The format to write `path` in; `option` names the setting that gave the path, for the error. */
export function writableRowFormat(path: string, option: string): RowFormat {
  const format = rowFormatOf(path);
  if (format === undefined) {
    throw new InvalidOptionError(
      option,
      `${path}: end the name in ${Object.keys(rowFormatByExtension).join(', ')} to choose the format`,
    );
  }
  return format;
}

const cell = (value: unknown) =>
  Array.isArray(value) ? value.join(LIST_SEPARATOR) : value === undefined ? '' : String(value);

/**
 * Writes rows, streamed, in the format the file's name tells: CSV (the operation's fields, then
 * `extraColumns`), NDJSON or a JSON array. Files written here are ones the producers read back.
 */
export function openRowWriter(
  path: string,
  operation: Operation,
  extraColumns: string[],
  option: string,
): RowWriter {
  const format = writableRowFormat(path, option);
  const out = createWriteStream(path);
  // A column the operation's fields already have is not written twice.
  const columns = [...new Set([...fieldsOf[operation], ...extraColumns])];
  const csv = format === 'csv' ? stringify({ header: true, columns }) : undefined;
  if (csv) csv.pipe(out);
  let written = 0;
  if (format === 'json') out.write('[');
  return {
    async write(row) {
      const roomLeft = csv
        ? csv.write(columns.map((c) => cell(row[c])))
        : out.write(
            format === 'json'
              ? `${written > 0 ? ',' : ''}\n${JSON.stringify(row)}`
              : `${JSON.stringify(row)}\n`,
          );
      written++;
      if (!roomLeft) await once(csv ?? out, 'drain');
    },
    async close() {
      if (csv) csv.end();
      else out.end(format === 'json' ? '\n]\n' : undefined);
      await finished(out);
    },
  };
}
