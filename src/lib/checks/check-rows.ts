import { setMaxListeners } from 'node:events';
import pRetry from 'p-retry';
import type { AcceptedRow } from '../batches/enqueue-batch';
import { classifyOutcome } from '../feishu/classify-outcome';
import type { FeishuClient } from '../feishu/feishu-client';
import type { Operation } from '../feishu/hire-schemas';
import { handlerOf } from '../operations/operation-handlers';
import type { CheckContext, CheckFinding } from '../operations/operation-handler';

export type { CheckFinding } from '../operations/operation-handler';

/** A row the check could not read for (Feishu kept failing): neither cleared nor left out by itself. */
export interface UncheckedFinding {
  verdict: 'unchecked';
  code?: string;
  reason: string;
}

export type RowFinding = CheckFinding | UncheckedFinding;

export const checkDefaults = {
  /** Rows read at once: enough to use every slot the background lane gives, no more. */
  concurrency: 4,
  /** Quick retries of a row's reads after a transient failure (5xx, network). */
  retries: 2,
  minRetryDelayMs: 200,
} as const;

export interface CheckRowsOptions<O extends Operation> {
  client: FeishuClient;
  operation: O;
  rows: readonly AcceptedRow<O>[];
  /** Told each row's finding as it is known (rows finish out of order). */
  onFinding: (row: AcceptedRow<O>, finding: RowFinding) => Promise<void> | void;
  /** Stops reading; rows not read yet are not reported. */
  signal?: AbortSignal;
  concurrency?: number;
}

/**
 * Reads Feishu for every row, writing nothing: what each row's call would do now. Reads go in the
 * limiter's background lane, so a check takes only the read capacity running batches leave.
 */
export async function checkRows<O extends Operation>(options: CheckRowsOptions<O>): Promise<void> {
  const handler = handlerOf(options.operation);
  const { client, signal } = options;
  let next = 0;
  const control = { priority: 'background' as const, ...(signal ? { signal } : {}) };
  let reasonIds: Promise<ReadonlySet<string>> | undefined;
  const context: CheckContext = {
    // Listed once; a failed listing is forgotten, so that the next row's retry lists again.
    terminationReasonIds: () =>
      (reasonIds ??= client.listTerminationReasons(control).then(
        (all) => new Set(all.map((r) => r.id)),
        (error: unknown) => {
          reasonIds = undefined;
          throw error;
        },
      )),
  };
  const readOne = async (row: AcceptedRow<O>): Promise<RowFinding> => {
    try {
      return await pRetry(() => handler.checkAhead(client, row.input, control, context), {
        retries: checkDefaults.retries,
        minTimeout: checkDefaults.minRetryDelayMs,
        ...(signal ? { signal } : {}),
        shouldRetry: ({ error }) => classifyOutcome('read', error).kind === 'transient',
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const { code, message } = classifyOutcome('read', error);
      return { verdict: 'unchecked', code, reason: `could not be read: ${message}` };
    }
  };
  const reader = async () => {
    while (next < options.rows.length) {
      signal?.throwIfAborted();
      const row = options.rows[next++]!;
      await options.onFinding(row, await readOne(row));
    }
  };
  const readers = Math.max(
    1,
    Math.min(options.concurrency ?? checkDefaults.concurrency, options.rows.length),
  );
  // Every reader's wait (its retry, its limiter slot) listens to the one signal.
  if (signal) setMaxListeners(readers * 4 + 10, signal);
  await Promise.all(Array.from({ length: readers }, reader));
}
