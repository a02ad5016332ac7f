import { extname } from 'node:path';

/** The file formats rows are read from and written to. */
export type RowFormat = 'csv' | 'ndjson' | 'json' | 'xlsx';

/**
 * The one table of file-name endings: what the producers read is what `dlq export` and
 * `--results` write, so an exported file goes back in as it is.
 */
export const rowFormatByExtension: Readonly<Record<string, RowFormat>> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.xlsx': 'xlsx',
};

/** The format a file's name tells, if it does. */
export function rowFormatOf(path: string): RowFormat | undefined {
  return rowFormatByExtension[extname(path).toLowerCase()];
}
