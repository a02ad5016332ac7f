import { BATCH_RETENTION_S } from '../retention';
import type { Job, Queue } from 'bullmq';
import { InvalidOptionError } from '../errors/invalid-option-error';
import { openRowWriter } from '../rows/row-writer';
import type { DeadLetter } from '../model/dead-letter';
import type { Operation } from '../feishu/hire-schemas';

export type { DeadLetter } from '../model/dead-letter';

export interface DeadLetterFilter {
  operation?: Operation;
  code?: string;
  batchId?: string;
}

/** Adds the entry under the job's own id, so a job dead-lettered twice (after a crash) is one entry. */
export async function addDeadLetter(queue: Queue<DeadLetter>, entry: DeadLetter): Promise<void> {
  await queue.add(entry.operation, entry, {
    jobId: entry.jobId,
    removeOnComplete: false,
    removeOnFail: false,
  });
}

/**
 * Deletes dead letters older than the batch retention, up to `limit`; resolves with how many. Workers
 * run it as they start and hourly, so the dead-letter queue holds what a month leaves, not more.
 */
export async function pruneDeadLetters(queue: Queue<DeadLetter>, limit = 10_000): Promise<number> {
  const removed = await queue.clean(BATCH_RETENTION_S * 1000, limit, 'wait');
  return removed.length;
}

/** Every dead letter matching `filter`, oldest first, read page by page. */
export async function* deadLetters(
  queue: Queue<DeadLetter>,
  filter: DeadLetterFilter = {},
): AsyncGenerator<Job<DeadLetter>> {
  const pageSize = 500;
  for (let start = 0; ; start += pageSize) {
    const page = await queue.getJobs(
      ['waiting', 'prioritized', 'delayed'],
      start,
      start + pageSize - 1,
      true,
    );
    for (const job of page) {
      const d = job?.data;
      if (!d) continue;
      if (filter.operation && d.operation !== filter.operation) continue;
      if (filter.code && d.code !== filter.code) continue;
      if (filter.batchId && d.batchId !== filter.batchId) continue;
      yield job;
    }
    if (page.length < pageSize) return;
  }
}

/** Every dead letter matching `filter`, oldest first. */
export async function listDeadLetters(
  queue: Queue<DeadLetter>,
  filter: DeadLetterFilter = {},
): Promise<Job<DeadLetter>[]> {
  const matches: Job<DeadLetter>[] = [];
  for await (const job of deadLetters(queue, filter)) matches.push(job);
  return matches;
}

/** The one operation of the letters: a file, or a batch, holds one operation's rows. */
export function operationOf(
  letters: readonly Job<DeadLetter>[],
  filter: DeadLetterFilter,
): Operation | undefined {
  const operations = new Set(letters.map((l) => l.data.operation));
  if (operations.size > 1)
    throw new InvalidOptionError(
      'operation',
      'must be given: dead letters of both operations match (create or terminate)',
    );
  return filter.operation ?? [...operations][0];
}

/** Writes the letters' inputs to `path` (.csv, .ndjson or .json): a file `enqueue` takes back. */
export async function exportDeadLetters(
  queue: Queue<DeadLetter>,
  filter: DeadLetterFilter,
  path: string,
): Promise<{ count: number; operation: Operation; withoutInput: string[] }> {
  const letters = await listDeadLetters(queue, filter);
  const operation = operationOf(letters, filter) ?? 'create';
  const writer = openRowWriter(path, operation, [], 'outPath');
  // A letter that holds no input (an older version's, of a job whose batch was gone) has no row to
  // fix: it is named, not written as an empty row.
  const withoutInput: string[] = [];
  let count = 0;
  for (const { data } of letters) {
    if (Object.keys(data.input ?? {}).length === 0) withoutInput.push(data.jobId);
    else {
      await writer.write(data.input);
      count++;
    }
  }
  await writer.close();
  return { count, operation, withoutInput };
}

/** Deletes the matching letters; resolves with how many. */
export async function purgeDeadLetters(queue: Queue<DeadLetter>, filter: DeadLetterFilter): Promise<number> {
  const letters = await listDeadLetters(queue, filter);
  for (const letter of letters) await letter.remove();
  return letters.length;
}
