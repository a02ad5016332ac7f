import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BatchStore, type InvalidRow } from '../lib/batches/batch-store';
import type { HireQueues } from '../lib/jobs/hire-queues';
import type { InputOf, Operation } from '../lib/feishu/hire-schemas';
import { enqueueRows, type AcceptedRow } from '../lib/batches/enqueue-batch';
import { readInputRows, type InputFormat } from '../lib/rows/read-input-rows';
import { validateRow } from '../lib/rows/validate-row';

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
  /** Called with each accepted row in dry runs (nothing is enqueued then). */
  onDryRunRow?: (row: AcceptedRow<O>) => void;
  onProgress?: (rowsRead: number) => void;
}

export interface EnqueueFileResult {
  batchId: string;
  rows: number;
  accepted: number;
  invalidCount: number;
  /** The first invalid rows (all of them are in the batch). */
  invalidSample: InvalidRow[];
  /** False for a dry run and for a `--strict` rejection. */
  enqueued: boolean;
}

const SAMPLE = 20;

/**
 * Streams a file into a batch: rows validated one by one, good ones enqueued in bulk chunks,
 * bad ones recorded with their line and reasons. Memory stays bounded by one chunk.
 */
export async function enqueueFile<O extends Operation>(
  deps: { queues: HireQueues; batches: BatchStore } | undefined,
  options: EnqueueFileOptions<O>,
): Promise<EnqueueFileResult> {
  const dryRun = deps === undefined || options.onDryRunRow !== undefined;
  let path = options.path;
  let spool: string | undefined;
  if (options.strict && path === '-') {
    // --strict reads twice (check, then enqueue); standard input can only be read once.
    spool = mkdtempSync(join(tmpdir(), 'hire-queue-stdin-'));
    path = join(spool, 'input');
    await pipeline(process.stdin, createWriteStream(path));
  }
  try {
    if (options.strict || dryRun) {
      const checked = await scan(path, options, undefined);
      if (dryRun || checked.invalidCount > 0) return { ...checked, enqueued: false };
    }
    return { ...(await scan(path, options, deps)), enqueued: true };
  } finally {
    if (spool) rmSync(spool, { recursive: true, force: true });
  }
}

async function scan<O extends Operation>(
  path: string,
  options: EnqueueFileOptions<O>,
  deps: { queues: HireQueues; batches: BatchStore } | undefined,
): Promise<Omit<EnqueueFileResult, 'enqueued'>> {
  const chunkSize = options.chunkSize ?? 500;
  const source = options.path === '-' ? 'stdin' : options.path;
  let accepted: AcceptedRow<O>[] = [];
  let invalid: InvalidRow[] = [];
  const invalidSample: InvalidRow[] = [];
  let rows = 0;
  let acceptedCount = 0;
  let invalidCount = 0;
  if (deps)
    await deps.batches.create({
      batchId: options.batchId,
      operation: options.operation,
      createdAtMs: Date.now(),
      source,
    });
  const flush = async () => {
    if (deps) {
      await enqueueRows(deps.queues, deps.batches, options.batchId, options.operation, accepted, source);
      await deps.batches.addInvalid(options.batchId, invalid);
    }
    accepted = [];
    invalid = [];
  };
  for await (const raw of readInputRows(path, options.operation, options.format)) {
    rows++;
    const checked = validateRow(options.operation, raw);
    if (checked.ok) {
      acceptedCount++;
      const row = { line: checked.line, input: checked.input as InputOf[O] };
      if (deps) accepted.push(row);
      else options.onDryRunRow?.(row);
    } else {
      invalidCount++;
      const bad: InvalidRow = {
        line: checked.line,
        errors: checked.errors,
        ...(checked.input ? { input: checked.input } : {}),
      };
      if (invalidSample.length < SAMPLE) invalidSample.push(bad);
      if (deps) invalid.push(bad);
    }
    if (accepted.length + invalid.length >= chunkSize) await flush();
    if (rows % 1000 === 0) options.onProgress?.(rows);
  }
  await flush();
  if (deps) await deps.batches.seal(options.batchId);
  return { batchId: options.batchId, rows, accepted: acceptedCount, invalidCount, invalidSample };
}
