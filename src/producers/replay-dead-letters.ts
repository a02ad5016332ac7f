import type { ExistingPolicy } from '../lib/batches/batch-store';
import type { Job } from 'bullmq';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { listDeadLetters, operationOf, type DeadLetterFilter } from '../lib/batches/dead-letters';
import { enqueueBatch, type EnqueueBatchResult, type EnqueueTarget } from '../lib/batches/enqueue-batch';
import type { DeadLetter } from '../lib/model/dead-letter';
import { validateRow } from '../lib/rows/validate-row';

export interface ReplayResult extends EnqueueBatchResult {
  /** Letters whose input no longer passes validation stay in the dead-letter queue. */
  kept: { jobId: string; errors: string[] }[];
}

export interface ReplayOptions {
  /** The batch to replay into (a new one when unset). */
  intoBatchId?: string;
  /** Only the letters it accepts (a console's chosen lines). */
  select?: (letter: DeadLetter) => boolean;
  /** The input a letter's row runs with: its own, fixed (fields edited for a group, a row rewritten). */
  inputOf?: (letter: DeadLetter) => Record<string, unknown>;
  /**
   * Refuse rather than replay when an input does not validate: nothing is enqueued and the letters
   * stay (the console's edits are checked before anything changes). @default false
   */
  strict?: boolean;
  /** Creates: what a duplicate (1002206) does in the new batch. @default the batch's default, dead-letter */
  existing?: ExistingPolicy;
}

/** A replay refused because inputs do not validate: each letter's row and why. */
export class ReplayRefused extends Error {
  constructor(readonly invalid: { jobId: string; line: number; errors: string[] }[]) {
    super(`${invalid.length} replayed row(s) would be invalid`);
  }
}

/**
 * Enqueues the matching letters again as a batch (a new one, or `intoBatchId`), each row under its
 * original file and line. Every letter runs: one whose input the target batch already finished gets
 * a new job there. A letter leaves the queue only once its row is enqueued; one whose input no
 * longer validates becomes an invalid row of the batch and stays, to be fixed by export and enqueue.
 */
export async function replayDeadLetters(
  target: EnqueueTarget,
  filter: DeadLetterFilter,
  options: ReplayOptions = {},
): Promise<ReplayResult | undefined> {
  const queue = target.queues.deadLetter;
  const letters = (await listDeadLetters(queue, filter)).filter((l) => options.select?.(l.data) ?? true);
  if (letters.length === 0) return undefined;
  const operation = operationOf(letters, filter)!;
  const batchId = checkBatchId(options.intoBatchId ?? newBatchId(`replay-${operation}`), 'intoBatchId');
  const letterOf = new Map<object, Job<DeadLetter>>();
  // Each refused row's errors as validation said them (the batch's record names the letter too).
  const errorsOf = new Map<object, string[]>();
  const rows = letters.map((letter, i) => {
    // Its row's place in its file; a letter that knows none is numbered by its place in the replay.
    const where = {
      line: letter.data.source?.line ?? i + 1,
      file: letter.data.source?.file ?? `dead letters of batch ${letter.data.batchId}`,
    };
    const input = options.inputOf?.(letter.data) ?? letter.data.input;
    const checked = validateRow(operation, { line: where.line, value: { ...input } });
    const row = checked.ok
      ? { ...checked, file: where.file }
      : {
          ...checked,
          file: where.file,
          errors: checked.errors.map((e) => `dead letter ${letter.data.jobId}: ${e}`),
        };
    letterOf.set(row, letter);
    if (!checked.ok) errorsOf.set(row, checked.errors);
    return row;
  });
  if (options.strict) {
    const invalid = rows.flatMap((row) =>
      row.ok
        ? []
        : [{ jobId: letterOf.get(row)!.data.jobId, line: row.line, errors: errorsOf.get(row) ?? [] }],
    );
    if (invalid.length > 0) throw new ReplayRefused(invalid);
  }
  const replayed = new Set<Job<DeadLetter>>();
  const result = await enqueueBatch(
    target,
    {
      batchId,
      operation,
      source: 'dead-letter replay',
      replay: true,
      ...(options.existing ? { existing: options.existing } : {}),
      onEnqueued: async (enqueued) => {
        for (const row of enqueued) {
          const letter = letterOf.get(row);
          if (!letter) continue;
          await letter.remove();
          replayed.add(letter);
        }
      },
    },
    rows,
  );
  const kept = letters
    .filter((letter) => !replayed.has(letter))
    .map((letter) => {
      const row = rows.find((r) => letterOf.get(r) === letter);
      return {
        jobId: letter.data.jobId,
        errors: row && !row.ok ? row.errors : ['its row did not run: the batch had it done already'],
      };
    });
  return { ...result, kept };
}
