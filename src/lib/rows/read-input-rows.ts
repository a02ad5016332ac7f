import { Parser as CsvParser, type Options as CsvOptions } from 'csv-parse';
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { parser as jsonParser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import iconv from 'iconv-lite';
import { HeaderError, InputFileError } from '../errors/input-file-error';
import { checkWorkbook, worksheetNumberOf } from './workbook-bounds';
import { InvalidOptionError } from '../errors/invalid-option-error';
import { requiredFields, type Operation } from '../feishu/hire-schemas';
import { fieldsOf } from './input-fields';
import { rowFormatOf, type RowFormat } from './row-formats';

export type InputFormat = RowFormat;

/** One row as read: its values, or why it could not be read. */
export interface RawRow {
  /** Line in the file (CSV, NDJSON; the header is line 1 in CSV), or position in a JSON array. */
  line: number;
  value?: Record<string, unknown>;
  error?: string;
}

/** The longest row accepted. A longer one is reported as a bad row; the rest go on. */
export const MAX_ROW_BYTES = 1024 * 1024;
/** Past this a CSV record stops the file: the parser would have to hold it whole. */
const MAX_CSV_RECORD_BYTES = 16 * 1024 * 1024;

export function formatOf(path: string, explicit?: InputFormat): InputFormat | undefined {
  return explicit ?? rowFormatOf(path);
}

/** Decodes UTF-8 strictly: invalid bytes stop the file with the line where they are. */
class StrictUtf8 extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private line = 1;

  constructor(private readonly name: string) {
    super({ decodeStrings: true, readableObjectMode: false });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Decoded line by line, so an invalid byte is reported with the line it is on.
    let text = '';
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      try {
        text += this.decoder.decode(chunk.subarray(start, end), { stream: true });
      } catch {
        const utf16 =
          (this.line === 1 && start === 0 && chunk[0] === 0xff && chunk[1] === 0xfe) || mostlyUtf16le(chunk);
        const suggested = utf16
          ? 'utf16le'
          : CANDIDATE_ENCODINGS.find((encoding) => decodesCleanly(chunk, encoding));
        callback(
          new InputFileError(
            `${this.name}: not valid UTF-8 (near line ${this.line}); name the file's encoding` +
              (suggested ? ` (its bytes read cleanly as ${suggested})` : ''),
            { suggested },
          ),
        );
        return;
      }
      if (newline !== -1) this.line++;
      start = end;
    }
    callback(null, text);
  }

  override _flush(callback: TransformCallback): void {
    try {
      callback(null, this.decoder.decode());
    } catch {
      callback(
        new InputFileError(`${this.name}: not valid UTF-8 at the end of the file`, { suggested: undefined }),
      );
    }
  }
}

/** Text whose every other byte is mostly zero: UTF-16 (little-endian) without its mark. */
function mostlyUtf16le(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 4096);
  let zeros = 0;
  for (let i = 1; i < sample.length; i += 2) if (sample[i] === 0) zeros++;
  return sample.length >= 8 && zeros > sample.length / 4 / 2;
}

/** Encodings a file that is not UTF-8 is most likely in, for this tool's users: Excel on a Chinese Windows. */
const CANDIDATE_ENCODINGS = ['gb18030'] as const;

function decodesCleanly(bytes: Buffer, encoding: string): boolean {
  return !iconv.decode(bytes, encoding).includes('\uFFFD');
}

/**
 * Opens PATH, or standard input for `-`, as text: strictly decoded UTF-8 by default, or through
 * iconv-lite in the encoding named. A byte-order mark is skipped either way.
 */
function openText(path: string, encodingGiven: string | undefined, name: string): Readable {
  let encoding = encodingGiven;
  if (path !== '-') {
    if (!existsSync(path)) throw new InputFileError(`${path}: no such file`);
    if (statSync(path).isDirectory()) throw new InputFileError(`${path}: is a directory, not a file`);
  }
  // A UTF-16 byte-order mark tells the encoding for sure (Excel's "Unicode text" saves so).
  if (encoding === undefined && path !== '-') encoding = utf16ByMark(path);
  const utf8 = encoding === undefined || /^utf-?8$/i.test(encoding);
  if (encoding !== undefined && !utf8 && !iconv.encodingExists(encoding))
    throw new InvalidOptionError(
      'encoding',
      `"${encoding}" is not an encoding iconv-lite knows (e.g. gbk, gb18030, utf16le, big5)`,
    );
  const bytes = path === '-' ? process.stdin : createReadStream(path);
  // iconv-lite's stream is a Node Transform; its typings only say ReadWriteStream.
  const decoder =
    encoding === undefined || utf8
      ? new StrictUtf8(name)
      : (iconv.decodeStream(encoding, { stripBOM: true }) as Transform);
  // pipeline (unlike pipe) carries an error to the last stream, where the reader sees it.
  return pipeline(bytes, decoder, () => undefined);
}

/** `utf16le` or `utf16be` when the file opens with that byte-order mark. */
function utf16ByMark(path: string): string | undefined {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, head, 0, 2, 0) < 2) return undefined;
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  return undefined;
}

/** Looks at the first non-blank character when the name does not tell the format. */
async function sniff(stream: Readable): Promise<{ format: InputFormat | undefined; stream: Readable }> {
  const chunks: string[] = [];
  // Leaving the loop must not destroy the stream: the rest of it is read after the sniff.
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    chunks.push(String(chunk));
    const seen = chunks.join('').trimStart();
    if (seen.length > 0) {
      const format: InputFormat = seen.startsWith('[') ? 'json' : seen.startsWith('{') ? 'ndjson' : 'csv';
      const rest = Readable.from(
        (async function* () {
          yield chunks.join('');
          yield* stream;
        })(),
      );
      return { format, stream: rest };
    }
  }
  return { format: undefined, stream: Readable.from([]) };
}

/** How a file is read, beyond its path, operation, format and encoding. */
export interface ReadOptions {
  /** A column -> field mapping that wins over the header's own names ('' or null: the column is skipped). */
  mapping?: Readonly<Record<string, string | null>>;
  /** What messages call the file (an upload's own name rather than where it was spooled). */
  name?: string;
  /** A workbook's sheet to read, by name. @default its first sheet */
  sheet?: string;
  /** Told the header as the file has it and how each column was read (a CSV's or workbook's). */
  onHeader?: (columns: string[], mapping: Record<string, string | null>) => void;
}

/** What reading a header needs: the operation's fields, the file's name for messages, a mapping. */
interface HeaderContext {
  operation: Operation;
  name: string;
  mapping: Readonly<Record<string, string | null>>;
  onHeader?: ReadOptions['onHeader'];
}

/**
 * Streams the rows of a CSV, NDJSON or JSON-array file (or stdin) in bounded memory, each with
 * its line. File-level problems (no such file, not UTF-8, wrong CSV header, empty) throw
 * InputFileError; a row-level problem comes back as a row with `error`.
 */
export async function* readInputRows(
  path: string,
  operation: Operation,
  explicit?: InputFormat,
  /** @default 'utf-8' */
  encoding?: string,
  options: ReadOptions = {},
): AsyncGenerator<RawRow> {
  const name = options.name ?? (path === '-' ? 'standard input' : path);
  const header: HeaderContext = {
    operation,
    name,
    mapping: options.mapping ?? {},
    ...(options.onHeader ? { onHeader: options.onHeader } : {}),
  };
  if (formatOf(path, explicit) === 'xlsx') {
    let count = 0;
    for await (const row of workbookRows(path, header, options.sheet)) {
      count++;
      yield row;
    }
    if (count === 0)
      throw new InputFileError(`${name}: no rows to enqueue (the first sheet is empty or has only a header)`);
    return;
  }
  let stream = openText(path, encoding, name);
  let format = formatOf(path, explicit);
  if (!format) ({ format, stream } = await sniff(stream));
  let count = 0;
  const rows =
    format === 'csv'
      ? csvRows(stream, header)
      : format === 'ndjson'
        ? ndjsonRows(stream)
        : jsonArrayRows(stream, name);
  if (format !== undefined) {
    for await (const row of rows) {
      count++;
      yield row;
    }
  }
  if (count === 0)
    throw new InputFileError(
      `${name}: no rows to enqueue (the file is empty${format === 'csv' ? ' or has only a header' : ''})`,
    );
}

/**
 * csv-parse with each record's line: the parser's own count as the record is pushed, which is the
 * line its `info` option reports. That option copies the whole info object for every record, half
 * the parser's time on a large file.
 */
class LinedCsvParser extends CsvParser {
  constructor(options: CsvOptions) {
    super({ ...options, info: false });
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    return super.push(record === null ? null : { line: this.info.lines, value: record }, encoding);
  }
}

/**
 * How a CSV header's columns map to fields: the API's name, or its Chinese name as Feishu's pages
 * and HR-ops' sheets write it (spaces ignored); null for a column that is skipped (an empty header
 * cell, as Excel leaves after the last column, or a column hire-queue's own results file adds).
 */
function headerMapping(
  header: string[],
  { operation, name, mapping, onHeader }: HeaderContext,
): (string | null)[] {
  const known = new Set(fieldsOf[operation]);
  if (header.some((h) => h.includes('\u0000')))
    throw new InputFileError(`${name}: looks like UTF-16 text without a byte-order mark`, {
      suggested: 'utf16le',
    });
  if (header.length === 1 && header[0]!.includes('\t'))
    throw new InputFileError(
      `${name}: the columns are separated by tabs (Excel's "Unicode Text"): save the sheet as "CSV UTF-8 (comma delimited)" or as an .xlsx workbook`,
    );
  const columns = header.map((h) => {
    if (Object.hasOwn(mapping, h)) return mapping[h] ?? '';
    const trimmed = h.replace(/\s+/g, '');
    return fieldOfHeader[trimmed] ?? trimmed;
  });
  // A results file, or a download of failed rows (`line`, `code`, `message`): fixed and read back.
  const isResults = columns.includes('line') && (columns.includes('status') || columns.includes('code'));
  const mapped = columns.map((c) =>
    c === '' || (isResults && resultOnlyColumns.has(c) && !known.has(c)) ? null : c,
  );
  onHeader?.(header, Object.fromEntries(header.map((h, i) => [h, mapped[i] ?? null])));
  const unknown = mapped.filter((c): c is string => c !== null && !known.has(c));
  const absent = requiredFields[operation].filter((m) => !mapped.includes(m));
  if (unknown.length > 0 || absent.length > 0) {
    const problems = [
      unknown.length > 0 ? `unknown column(s) ${unknown.join(', ')}` : '',
      absent.length > 0 ? `missing column(s) ${absent.join(', ')}` : '',
    ].filter(Boolean);
    throw new HeaderError(
      `${name}: wrong header for ${operation}: ${problems.join('; ')}. Columns are the API's field names: ${[...known].join(', ')}`,
      header,
      Object.fromEntries(
        header.map((h, i) => [h, mapped[i] !== null && known.has(mapped[i]!) ? mapped[i]! : null]),
      ),
    );
  }
  return mapped;
}

/** Columns a results file (`--results`) adds to a row's fields: skipped when such a file is read back. */
const resultOnlyColumns = new Set(['file', 'line', 'status', 'application_id', 'code', 'message', 'meaning']);

/** Field names by the Chinese headers HR-ops' sheets use (the names of Feishu's pages). */
export const fieldOfHeader: Readonly<Record<string, string>> = {
  人才ID: 'talent_id',
  职位ID: 'job_id',
  人员ID: 'user_id',
  简历来源ID: 'resume_source_id',
  意向城市: 'application_preferred_city_code_list',
  投递方式: 'delivery_type',
  投递ID: 'application_id',
  终止类型: 'termination_type',
  终止原因ID: 'termination_reason_list',
  终止备注: 'termination_reason_note',
  此后未更新才终止: 'if_not_updated_since',
};

async function* csvRows(stream: Readable, header: HeaderContext): AsyncGenerator<RawRow> {
  const { name } = header;
  const skipped: RawRow[] = [];
  const csv = pipeline(
    stream,
    new LinedCsvParser({
      bom: true,
      // A file edited on two systems mixes line endings; detecting one from the first line would
      // keep the other's \r in values and count it as a line of its own.
      record_delimiter: ['\r\n', '\n'],
      skip_empty_lines: true,
      // Cells are matched to the header here: Excel leaves empty cells past the last column.
      relax_column_count: true,
      max_record_size: MAX_CSV_RECORD_BYTES,
      skip_records_with_error: true,
      on_skip: (error) => {
        skipped.push({
          line: (error as { lines?: number } | undefined)?.lines ?? 0,
          error: error?.message ?? 'unreadable row',
        });
        return undefined;
      },
    }),
    () => undefined,
  );
  let columns: (string | null)[] | undefined;
  try {
    for await (const record of csv as AsyncIterable<{ line: number; value: string[] }>) {
      if (columns === undefined) {
        columns = headerMapping(record.value, header);
        continue;
      }
      const row = rowOf(record, columns);
      // The parser reports a malformed record as it meets it, possibly before handing over the
      // records read just before it: rows come out in line order all the same.
      while (skipped.length > 0 && skipped[0]!.line < row.line) yield skipped.shift()!;
      yield row;
    }
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof InputFileError) throw cause;
    throw new InputFileError(`${name}: ${(error as Error).message}`);
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

/**
 * A record's cells by the header's columns, at the line the record starts on (a quoted cell may
 * span lines). Empty cells past the header's end are Excel's; a filled one is an error.
 */
function rowOf(record: { line: number; value: string[] }, columns: readonly (string | null)[]): RawRow {
  const cells = record.value;
  let newlines = 0;
  for (const cell of cells)
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) newlines++;
  const line = record.line - newlines;
  for (let i = columns.length; i < cells.length; i++)
    if (cells[i]!.trim() !== '')
      return { line, error: `${cells.length} cells but the header has ${columns.length} columns` };
  const value: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    if (column !== null && column !== undefined) value[column] = cells[i] ?? '';
  }
  if (tooLong(value)) return { line, error: `row longer than ${MAX_ROW_BYTES} bytes` };
  return { line, value };
}

/**
 * The rows of a workbook's first sheet, streamed (a sheet of a million rows never sits in memory),
 * the header in its first row, each row at its sheet row number. Cells are read as the text a person
 * sees; a number Excel holds with more digits than it keeps shows as the scientific notation Excel
 * shows, so validation names it.
 */
async function* workbookRows(
  path: string,
  header: HeaderContext,
  sheetName?: string,
): AsyncGenerator<RawRow> {
  const { name } = header;
  if (path === '-') throw new InputFileError('standard input: a workbook (.xlsx) must be read from a file');
  if (!existsSync(path)) throw new InputFileError(`${path}: no such file`);
  await checkWorkbook(path, name);
  const sheetNumber = sheetName === undefined ? undefined : await worksheetNumberOf(path, name, sheetName);
  // Loaded here, not with the module: it costs every command about 30 MB and 0.2 s.
  const { default: ExcelJS } = await import('exceljs');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles tell a date cell from a number: a date then reads as a date, not as 45292.
    styles: 'cache',
  });
  let columns: (string | null)[] | undefined;
  try {
    for await (const sheet of reader) {
      // The one named, or the first.
      if (sheetNumber !== undefined && (sheet as unknown as { id: number }).id !== sheetNumber) {
        for await (const _ of sheet) void _;
        continue;
      }
      for await (const row of sheet) {
        // Sparse: a blank cell is a hole, which map would skip.
        const cells = row.values as unknown[];
        const values = Array.from({ length: Math.max(0, cells.length - 1) }, (_, i) =>
          cellText(cells[i + 1]),
        );
        if (values.every((v) => v === '')) continue;
        if (columns === undefined) {
          columns = headerMapping(values, header);
          continue;
        }
        yield rowOf({ line: row.number, value: values }, columns);
      }
      // The first sheet only.
      break;
    }
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`${name}: not a readable Excel workbook (.xlsx): ${(error as Error).message}`);
  }
}

/** A cell as the text a person sees in it. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Number.isSafeInteger(value) || !Number.isInteger(value)
      ? String(value)
      : value.toExponential().toUpperCase();
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: string };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
    if (v.error) return v.error;
  }
  return String(value);
}

/** Longer than MAX_ROW_BYTES in UTF-8; bytes are counted only when the characters (3 bytes each at most) allow it. */
function tooLong(record: Record<string, string>): boolean {
  let characters = 0;
  for (const key in record) characters += record[key]!.length;
  if (characters * 3 <= MAX_ROW_BYTES) return false;
  let bytes = 0;
  for (const key in record) bytes += Buffer.byteLength(record[key]!);
  return bytes > MAX_ROW_BYTES;
}

async function* ndjsonRows(stream: Readable): AsyncGenerator<RawRow> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    if (Buffer.byteLength(text) > MAX_ROW_BYTES) {
      yield { line, error: `row longer than ${MAX_ROW_BYTES} bytes` };
      continue;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        yield { line, error: 'not a JSON object' };
      } else {
        yield { line, value: value as Record<string, unknown> };
      }
    } catch (error) {
      yield { line, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}

async function* jsonArrayRows(stream: Readable, name: string): AsyncGenerator<RawRow> {
  const items = pipeline(stream, jsonParser(), streamArray(), () => undefined);
  try {
    for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
      const position = item.key + 1;
      const value = item.value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        yield { line: position, error: 'not a JSON object' };
      } else {
        yield { line: position, value: value as Record<string, unknown> };
      }
    }
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`${name}: not a valid JSON array: ${(error as Error).message}`);
  }
}
