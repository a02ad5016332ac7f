import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BatchPriority, ExistingPolicy } from '../lib/batches/batch-store';
import {
  enqueueBatch,
  INVALID_SAMPLE_SIZE,
  type AcceptedRow,
  type EnqueueBatchOptions,
  type EnqueueBatchResult,
  type EnqueueTarget,
} from '../lib/batches/enqueue-batch';
import type { Operation } from '../lib/feishu/hire-schemas';
import { readInputRows, type InputFormat, type RawRow, type ReadOptions } from '../lib/rows/read-input-rows';
import { validateRows } from '../lib/rows/validate-row';

export interface EnqueueFileOptions<O extends Operation> {
  operation: O;
  /** A file, or `-` for standard input. */
  path: string;
  batchId: string;
  format?: InputFormat;
  /** Enqueue nothing if any row is bad. @default false */
  strict?: boolean;
  /** Rows per bulk add. @default 500 */
  chunkSize?: number;
  /** @default 'normal' */
  priority?: BatchPriority;
  /** Create: see `EnqueueBatchOptions.existing`. */
  existing?: ExistingPolicy;
  /** Create: see `EnqueueBatchOptions.skipCreated`. */
  skipCreated?: boolean;
  /** Terminate: the `if_not_updated_since` of every row that does not carry its own (ms). */
  ifNotUpdatedSince?: number;
  /** The file's character encoding (any iconv-lite knows: gbk, gb18030, utf16le, ...). @default 'utf-8' */
  encoding?: string;
  /** A workbook's sheet, by name (the first when unset). */
  sheet?: string;
  /** Column -> field, winning over the header's own names (the console's mapping step). */
  mapping?: Readonly<Record<string, string | null>>;
  /** The file's name as its owner knows it (an upload), when `path` is only where it is kept. */
  sourceName?: string;
  /** Fields every row that lacks them (missing or empty) takes: the console's confirm step. */
  defaults?: Readonly<Record<string, unknown>>;
  /** Told each time a row takes a default (once per field it lacked). */
  onDefault?: (field: string) => void;
  /** Told the file's header and how its columns were read. */
  onHeader?: ReadOptions['onHeader'];
  /** See `EnqueueBatchOptions.settledBeforehand`. */
  settledBeforehand?: EnqueueBatchOptions<O>['settledBeforehand'];
  /** How many invalid rows the result carries (all are recorded in the batch). @default 20 */
  invalidSampleSize?: number;
  /** Stops enqueuing after the chunk in hand; the batch stays open, to be continued under its id. */
  signal?: AbortSignal;
  /** Called with each accepted row in dry runs (nothing is enqueued then). */
  onDryRunRow?: (row: AcceptedRow<O>) => void;
  onProgress?: (rowsRead: number) => void;
}

export interface EnqueueFileResult extends EnqueueBatchResult {
  /** False for a dry run and for a `strict` rejection. */
  enqueued: boolean;
}

/**
 * Streams a file into a batch: rows validated one by one, good ones enqueued in bulk chunks,
 * bad ones recorded with their line and reasons. Without a target (a dry run) nothing is written.
 */
export async function enqueueFile<O extends Operation>(
  target: EnqueueTarget | undefined,
  options: EnqueueFileOptions<O>,
): Promise<EnqueueFileResult> {
  const dryRun = target === undefined || options.onDryRunRow !== undefined;
  let path = options.path;
  let spool: string | undefined;
  if (options.strict && path === '-') {
    // Strict reads twice (check, then enqueue); standard input can only be read once.
    spool = mkdtempSync(join(tmpdir(), 'hire-queue-stdin-'));
    path = join(spool, 'input');
    await pipeline(process.stdin, createWriteStream(path));
  }
  try {
    const rows = () =>
      validateRows(
        options.operation,
        withDefaults(
          readInputRows(path, options.operation, options.format, options.encoding, {
            ...(options.mapping ? { mapping: options.mapping } : {}),
            ...(options.sourceName ? { name: options.sourceName } : {}),
            ...(options.sheet ? { sheet: options.sheet } : {}),
            ...(options.onHeader ? { onHeader: options.onHeader } : {}),
          }),
          options,
        ),
      );
    if (options.strict || dryRun) {
      const checked = await check(options, rows());
      if (dryRun || checked.invalidCount > 0) return { ...checked, enqueued: false };
    }
    const source = options.sourceName ?? (options.path === '-' ? 'stdin' : options.path);
    const result = await enqueueBatch(
      target!,
      {
        batchId: options.batchId,
        operation: options.operation,
        source,
        file: source,
        ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.existing !== undefined ? { existing: options.existing } : {}),
        ...(options.skipCreated ? { skipCreated: true } : {}),
        ...(options.settledBeforehand ? { settledBeforehand: options.settledBeforehand } : {}),
        ...(options.invalidSampleSize !== undefined ? { invalidSampleSize: options.invalidSampleSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
      rows(),
    );
    return { ...result, enqueued: true };
  } finally {
    if (spool) rmSync(spool, { recursive: true, force: true });
  }
}

/** Lays the file-wide defaults (`defaults`, `ifNotUpdatedSince`) under each row's own values. */
async function* withDefaults<O extends Operation>(
  rows: AsyncIterable<RawRow>,
  options: EnqueueFileOptions<O>,
): AsyncGenerator<RawRow> {
  const defaults: Record<string, unknown> = { ...options.defaults };
  if (options.operation === 'terminate' && options.ifNotUpdatedSince !== undefined)
    defaults.if_not_updated_since = options.ifNotUpdatedSince;
  const fields = Object.keys(defaults);
  for await (const row of rows) {
    const missing = row.value
      ? fields.filter((f) => row.value![f] === undefined || row.value![f] === '')
      : [];
    if (missing.length === 0) yield row;
    else {
      for (const field of missing) options.onDefault?.(field);
      yield { ...row, value: { ...row.value, ...Object.fromEntries(missing.map((f) => [f, defaults[f]])) } };
    }
  }
}

/** Reads and validates every row, writing nothing. */
async function check<O extends Operation>(
  options: EnqueueFileOptions<O>,
  rows: ReturnType<typeof validateRows<O>>,
): Promise<EnqueueBatchResult> {
  const result: EnqueueBatchResult = {
    batchId: options.batchId,
    operation: options.operation,
    rows: 0,
    accepted: 0,
    alreadyQueued: 0,
    alreadyDone: 0,
    invalidCount: 0,
    invalidSample: [],
  };
  for await (const row of rows) {
    result.rows++;
    if (row.ok) {
      result.accepted++;
      options.onDryRunRow?.({ line: row.line, input: row.input });
    } else {
      result.invalidCount++;
      if (result.invalidSample.length < (options.invalidSampleSize ?? INVALID_SAMPLE_SIZE))
        result.invalidSample.push({
          line: row.line,
          errors: row.errors,
          ...(row.input ? { input: row.input } : {}),
        });
    }
    if (result.rows % 1000 === 0) options.onProgress?.(result.rows);
  }
  return result;
}
