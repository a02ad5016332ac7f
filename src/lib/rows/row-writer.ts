import { stringify } from 'csv-stringify';
import type { stream as ExcelStream } from 'exceljs';
import { closeSync, createWriteStream, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
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

/**
 * Checks, before any work, that `path` can be written: a name that tells the format, in a folder
 * that exists and may be written to. `option` names the setting that gave the path, for the error.
 */
export function checkWritablePath(path: string, option: string): RowFormat {
  const format = writableRowFormat(path, option);
  const folder = dirname(resolve(path));
  if (!existsSync(folder))
    throw new InvalidOptionError(option, `${path}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory())
    throw new InvalidOptionError(option, `${path}: ${folder} is not a folder`);
  if (existsSync(path) && statSync(path).isDirectory())
    throw new InvalidOptionError(option, `${path}: is a folder, not a file`);
  // Opened for appending and closed: what the writer will meet later (a read-only place, /proc, a
  // full disk's refusal to create) is met now, and an existing file is left as it is.
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
  } catch (error) {
    throw new InvalidOptionError(
      option,
      `${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (!existed) rmSync(path, { force: true });
  return format;
}

const cell = (value: unknown) =>
  Array.isArray(value) ? value.join(LIST_SEPARATOR) : value === undefined ? '' : String(value);

/**
 * Writes rows, streamed, in the format the file's name tells: CSV (the operation's fields, then
 * `extraColumns`), NDJSON, a JSON array, or an Excel workbook for people (the same columns, every
 * cell text: ids keep their digits, and nothing is a formula). Files written here are ones the
 * producers read back.
 */
export function openRowWriter(
  path: string,
  operation: Operation,
  extraColumns: string[],
  option: string,
): RowWriter {
  const format = checkWritablePath(path, option);
  // A column the operation's fields already have is not written twice.
  const columns = [...new Set([...fieldsOf[operation], ...extraColumns])];
  if (format === 'xlsx') return openWorkbookWriter(path, columns);
  const out = createWriteStream(path);
  // A failure of the file (the disk filled up) is the command's error, not an unhandled event.
  let failed: InvalidOptionError | undefined;
  out.on('error', (error: NodeJS.ErrnoException) => {
    failed ??= new InvalidOptionError(option, `${path}: writing failed (${error.code ?? error.message})`);
  });
  const csv = format === 'csv' ? stringify({ header: true, columns }) : undefined;
  if (csv) csv.pipe(out);
  let written = 0;
  if (format === 'json') out.write('[');
  return {
    async write(row) {
      if (failed) throw failed;
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
      await finished(out).catch(() => undefined);
      if (failed) throw failed;
    },
  };
}

/**
 * The `.xlsx` writer: one sheet, a header row, every cell text in a text-formatted column. exceljs
 * is loaded when a workbook is first written: it costs every command about 30 MB and 0.2 s to load.
 */
function openWorkbookWriter(to: string | Writable, columns: readonly string[]): RowWriter {
  let opened: Promise<{ workbook: ExcelStream.xlsx.WorkbookWriter; sheet: ExcelJsWorksheet }> | undefined;
  const open = () =>
    (opened ??= import('exceljs').then(({ default: ExcelJS }) => {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
        ...(typeof to === 'string' ? { filename: to } : { stream: to }),
        useStyles: true,
      });
      const sheet = workbook.addWorksheet('rows');
      // '@': Excel keeps what is typed in these columns as text, so an id edited there keeps its digits.
      sheet.columns = columns.map((key) => ({
        header: key,
        key,
        width: Math.max(12, key.length + 2),
        style: { numFmt: '@' },
      }));
      return { workbook, sheet };
    }));
  return {
    async write(row) {
      const { sheet } = await open();
      sheet.addRow(columns.map((c) => cell(row[c]))).commit();
    },
    async close() {
      const { workbook, sheet } = await open();
      sheet.commit();
      await workbook.commit();
    },
  };
}

type ExcelJsWorksheet = ReturnType<ExcelStream.xlsx.WorkbookWriter['addWorksheet']>;

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading quote:
 * shown as the text it is, never run (a results file goes to people who open it in Excel).
 */
export const inertCell = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/**
 * Rows streamed to `out` for a person to open (a download): a CSV beginning with a UTF-8
 * byte-order mark (Excel on a Chinese Windows then reads Chinese right), every cell inert, or an
 * `.xlsx` whose every cell is text. Memory holds a few rows whatever the count.
 */
export function openDownloadWriter(
  out: Writable,
  format: 'csv' | 'xlsx',
  columns: readonly string[],
): RowWriter {
  if (format === 'xlsx') return openWorkbookWriter(out, columns);
  out.write('\uFEFF');
  const csv = stringify({ header: true, columns: [...columns] });
  csv.pipe(out);
  return {
    async write(row) {
      if (!csv.write(columns.map((c) => inertCell(cell(row[c]))))) await once(csv, 'drain');
    },
    async close() {
      csv.end();
      await finished(out).catch(() => undefined);
    },
  };
}
