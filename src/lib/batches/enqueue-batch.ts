import type { CheckedRow } from '../rows/validate-row';
import type { InputOf, Operation } from '../feishu/hire-schemas';
import type { JobsOptions } from 'bullmq';
import { storedInput, type HireJobData } from '../model/hire-job';
import { LegacyBatchError } from '../errors/legacy-batch-error';
import { placementOf, type HireQueues } from '../queues/hire-queues';
import { InvalidOptionError } from '../errors/invalid-option-error';
import { isRedisFull, RedisFullError } from '../errors/redis-full-error';
import type { ApplicationLedger } from '../ledger/application-ledger';
import type { JobState } from '../job-state/job-state';
import type { JobOutcome } from '../model/job-outcome';
import type { BatchPriority, BatchStore, ExistingPolicy, InvalidRow } from './batch-store';

/** A validated row, ready to become a job. */
export interface AcceptedRow<O extends Operation = Operation> {
  line: number;
  input: InputOf[O];
  /** Its file, when rows of one enqueue come from several (a replay of dead letters). */
  file?: string;
}

export interface EnqueueBatchOptions<O extends Operation> {
  batchId: string;
  operation: O;
  /** Where the rows come from (a file, `api`, `stale applications of job ...`): the report shows it. */
  source?: string;
  /** The input file, named with its line in each job (and so in its dead letter). */
  file?: string;
  /**
   * Rows replayed: a row whose input the batch already finished gets a new job (called again),
   * rather than sharing the finished one. @default false
   */
  replay?: boolean;
  /** Rows per bulk add. @default 500 */
  chunkSize?: number;
  /** A high batch's rows go before lower ones already queued under the same limit. @default 'normal' */
  priority?: BatchPriority;
  /** Create: what a duplicate (1002206) does, adopt the existing application or dead-letter. @default 'dead-letter' */
  existing?: ExistingPolicy;
  /**
   * Create: rows whose talent and job the ledger knows are `alreadyDone` with the known id and make
   * no call, not even a job. @default false
   */
  skipCreated?: boolean;
  /**
   * Rows whose outcome is settled before any call (the check's findings a person left out at the
   * console's confirm): recorded with it, with no job; counted in `alreadyDone`.
   */
  settledBeforehand?: (row: AcceptedRow<O>) => Omit<JobOutcome, 'finishedAt'> | undefined;
  /** How many invalid rows the result carries (all are recorded in the batch). @default 20 */
  invalidSampleSize?: number;
  /**
   * Stops after the chunk in hand, leaving the batch open (not sealed): enqueuing the same rows
   * again under the same id continues it without doubling a row.
   */
  signal?: AbortSignal;
  /**
   * After each chunk is in the queue: the rows of it that will run (a job queued for them, or one
   * still pending that serves them). Rows the batch had already finished are not among them.
   */
  onEnqueued?: (rows: AcceptedRow<O>[]) => Promise<void> | void;
  /** Every 1000 rows read. */
  onProgress?: (rowsRead: number) => void;
}

export interface EnqueueBatchResult {
  batchId: string;
  operation: Operation;
  /** Rows read, good and bad. */
  rows: number;
  /** Valid rows that will run: a job queued for them, or a pending one of the batch serving them. */
  accepted: number;
  /** Of `accepted`, rows the batch already held and had not run yet (queued by an earlier run). */
  alreadyQueued: number;
  /**
   * Valid rows that will not run because they are done: the batch finished them in an earlier run
   * (the same file and line, or the same input), or the ledger knows their application.
   */
  alreadyDone: number;
  invalidCount: number;
  /** The first invalid rows (all of them are recorded in the batch). */
  invalidSample: InvalidRow[];
}

/**
 * Chunks being written while the next is read: enough to keep this process and Redis both busy,
 * few enough that memory stays a few chunks. Measured with 200,000 rows against `addBulk`: 0.89–0.95
 * with 2, 0.95–1.05 with 3, 1.02–1.05 with 4.
 */
const CHUNKS_IN_FLIGHT = 3;

/** How many invalid rows a result carries with it; the batch records them all. */
export const INVALID_SAMPLE_SIZE = 20;

/**
 * A batch from checked rows, streamed: opens it (a batch id given again continues that batch),
 * enqueues good rows in bulk chunks and records bad ones with their line and reasons, then seals
 * it. Memory stays bounded by a few chunks (see CHUNKS_IN_FLIGHT).
 */
/** Where rows go: the queues, the batches, the jobs' state, and the ledger for `skipCreated`. */
export interface EnqueueTarget {
  queues: HireQueues;
  batches: BatchStore;
  jobState: JobState;
  ledger?: ApplicationLedger;
}

export async function enqueueBatch<O extends Operation>(
  target: EnqueueTarget,
  options: EnqueueBatchOptions<O>,
  rows: Iterable<CheckedRow<O>> | AsyncIterable<CheckedRow<O>>,
): Promise<EnqueueBatchResult> {
  const { batches } = target;
  const { batchId, operation } = options;
  const chunkSize = options.chunkSize ?? 500;
  const ledger = options.skipCreated && operation === 'create' ? target.ledger : undefined;
  if (options.skipCreated && operation === 'create' && !ledger)
    throw new InvalidOptionError('skipCreated', 'needs the ledger: pass a runtime');
  // The batch opens with its first row: a file refused before any row (missing, wrong header)
  // leaves no empty batch behind that would show as running forever.
  let opened: Promise<Opened> | undefined;
  const open = (): Promise<Opened> =>
    (opened ??= (async () => {
      await batches.create({
        batchId,
        operation,
        createdAtMs: Date.now(),
        ...(options.source !== undefined ? { source: options.source } : {}),
        ...(options.file !== undefined ? { file: options.file } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.existing !== undefined ? { existing: options.existing } : {}),
      });
      // A batch continued under its id keeps the priority it was opened with.
      const meta = await batches.meta(batchId);
      if (meta?.seq === undefined) throw new LegacyBatchError(batchId);
      return { placement: placementOf(meta.priority), seq: meta.seq };
    })());
  const result: EnqueueBatchResult = {
    batchId,
    operation,
    rows: 0,
    accepted: 0,
    alreadyQueued: 0,
    alreadyDone: 0,
    invalidCount: 0,
    invalidSample: [],
  };
  const source = options.file ?? options.source ?? 'api';
  let accepted: AcceptedRow<O>[] = [];
  let invalid: InvalidRow[] = [];
  // A chunk is written in two steps: its rows recorded, then its jobs queued. Rows go out without
  // waiting for the chunk before's answer: Redis runs one connection's commands in the order sent,
  // so a row repeating one of an earlier chunk still finds it. A chunk's jobs need its rows' answer
  // (which of them are new), and go out once the chunk before's jobs have been sent, not answered:
  // jobs queue in line order while this process reads and checks the next chunks. At most
  // CHUNKS_IN_FLIGHT chunks are in hand.
  let sent: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  const runningOf = new WeakMap<AcceptedRow<O>[], AcceptedRow<O>[]>();
  const flush = async () => {
    const [rowsOfChunk, invalidOfChunk] = [accepted, invalid];
    accepted = [];
    invalid = [];
    if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
    const jobsOfChunk = open().then(async (how) => {
      const recorded = await recordRows(target, batchId, operation, rowsOfChunk, invalidOfChunk, {
        ...how,
        ledger,
        settledBeforehand: options.settledBeforehand,
        source,
        replay: Boolean(options.replay),
      });
      result.accepted += recorded.running.length;
      result.alreadyQueued += recorded.alreadyQueued;
      result.alreadyDone += rowsOfChunk.length - recorded.running.length;
      runningOf.set(rowsOfChunk, recorded.running);
      return recorded.jobs;
    });
    // Settles once the chunk's jobs are sent, not answered: the next chunk's may follow. Its rows'
    // answer comes first, so a failed chunk settles only when nothing of it is still being written.
    const sentBefore = sent;
    const sending = jobsOfChunk.then(async (jobs) => {
      await sentBefore;
      return { answered: jobs.length > 0 ? target.queues.byOperation(operation).addBulk(jobs) : undefined };
    });
    sent = sending.then(() => undefined);
    const queued = sending.then(async ({ answered }) => {
      await answered;
      const running = runningOf.get(rowsOfChunk) ?? [];
      if (running.length > 0) await options.onEnqueued?.(running);
    });
    inFlight.push(queued);
    // A failure surfaces at the next await of it; until then it must not count as unhandled.
    sent.catch(() => undefined);
    queued.catch(() => undefined);
  };
  try {
    for await (const row of rows) {
      result.rows++;
      if (row.ok) {
        accepted.push(row);
      } else {
        result.invalidCount++;
        const bad: InvalidRow = {
          line: row.line,
          errors: row.errors,
          ...(row.input ? { input: row.input } : {}),
          ...((row.file ?? options.file) !== undefined ? { file: (row.file ?? options.file)! } : {}),
        };
        if (result.invalidSample.length < (options.invalidSampleSize ?? INVALID_SAMPLE_SIZE))
          result.invalidSample.push(bad);
        invalid.push(bad);
      }
      if (accepted.length + invalid.length >= chunkSize) {
        await flush();
        if (options.signal?.aborted) {
          await Promise.all(inFlight);
          return result;
        }
      }
      if (result.rows % 1000 === 0) options.onProgress?.(result.rows);
    }
    await flush();
    await Promise.all(inFlight);
  } catch (error) {
    // The caller hears of a failure only once nothing of this batch is still being written.
    await Promise.allSettled(inFlight);
    if (isRedisFull(error)) {
      const rowsIn = await batches.progress(batchId).then(
        (p) => p.rows,
        () => result.accepted,
      );
      throw new RedisFullError('while enqueuing', { batchId, rowsIn });
    }
    throw error;
  }
  if (options.signal?.aborted) return result;
  await open();
  await batches.seal(batchId);
  return result;
}

/** An open batch as its chunks need it: where its jobs go, and the number their ids carry. */
interface Opened {
  placement: JobsOptions;
  seq: string;
}

/**
 * Records a chunk's rows in the batch and answers the jobs to queue for them, and the rows that
 * will run. The rows are recorded before their jobs are queued (the worker reads a row's input
 * there), so a crash between the two leaves rows pending (visible, and fixed by running the same
 * batch again) rather than jobs the report does not know. A row an earlier run added is queued
 * again only while it has no outcome: BullMQ keeps one job per id, and finished jobs leave the queue.
 */
async function recordRows<O extends Operation>(
  { batches, jobState }: { batches: BatchStore; jobState: JobState },
  batchId: string,
  operation: O,
  rows: AcceptedRow<O>[],
  refused: InvalidRow[],
  how: Opened & {
    ledger: ApplicationLedger | undefined;
    settledBeforehand: EnqueueBatchOptions<O>['settledBeforehand'];
    source: string;
    replay: boolean;
  },
): Promise<{
  jobs: { name: string; data: HireJobData; opts: JobsOptions }[];
  running: AcceptedRow<O>[];
  /** Of the rows that will run, those the batch held already, still to run. */
  alreadyQueued: number;
}> {
  if (rows.length === 0 && refused.length === 0) return { jobs: [], running: [], alreadyQueued: 0 };
  const added = await batches.addRows(
    batchId,
    how.seq,
    [
      ...rows.map((row) => ({ source: row.file ?? how.source, line: row.line, ...storedInput(row.input) })),
      ...refused.map((bad) => ({ source: bad.file ?? how.source, line: bad.line, refused: bad })),
    ],
    how.replay ? 'replay' : '',
  );
  // Which rows' jobs have ended already: a row known from an earlier run, or one another row serves.
  const toCheck = [...new Set(rows.flatMap((_, i) => (added[i]!.status === 'new' ? [] : [added[i]!.jobId])))];
  const ended = await batches.hasOutcomes(batchId, toCheck);
  const endedJobs = new Set(toCheck.filter((_, i) => ended[i]));
  const queued = new Set<string>();
  const fresh: { row: AcceptedRow<O>; jobRow: number; jobId: string }[] = [];
  let alreadyQueued = 0;
  rows.forEach((row, i) => {
    const { status, jobRow, jobId } = added[i]!;
    if (endedJobs.has(jobId)) return;
    if (status !== 'new') alreadyQueued++;
    if ((status === 'new' || status === 'known') && !queued.has(jobId)) {
      queued.add(jobId);
      fresh.push({ row, jobRow, jobId });
    }
  });
  const known = how.ledger
    ? await how.ledger.lookup(fresh.map(({ row }) => row.input as InputOf['create']))
    : [];
  const finishedAt = new Date().toISOString();
  const settled = fresh.map(({ row }, i): Omit<JobOutcome, 'finishedAt'> | undefined => {
    const entry = known[i];
    if (entry)
      return {
        status: 'alreadyDone',
        applicationId: entry.application_id,
        code: 'KNOWN',
        message: `${entry.how} by hire-queue on ${new Date(entry.at).toISOString()}; no call made`,
      };
    return how.settledBeforehand?.(row);
  });
  await Promise.all(
    settled.map((outcome, i) => {
      if (!outcome) return undefined;
      endedJobs.add(fresh[i]!.jobId);
      return jobState.recordOutcome(batchId, fresh[i]!.jobId, { ...outcome, finishedAt });
    }),
  );
  const jobs = fresh
    .filter((_, i) => !settled[i])
    .map(({ row, jobRow, jobId }) => ({
      // Shown in the dashboard: a person finds the row by its batch, file and line.
      name: `${operation} ${batchId} line ${row.line}${row.file ? ` of ${row.file}` : ''}`,
      data: { batchId, line: jobRow } satisfies HireJobData,
      opts: { jobId, ...how.placement },
    }));
  // Added at the taking end, the last added runs first: reversed, a chunk runs in line order.
  if (how.placement.lifo) jobs.reverse();
  const running = rows.filter((_, i) => !endedJobs.has(added[i]!.jobId));
  return { jobs, running, alreadyQueued };
}
