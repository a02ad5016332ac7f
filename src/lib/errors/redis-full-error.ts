import { HireQueueError } from './hire-queue-error';

/** Redis refused a write because it reached `maxmemory` (under noeviction, as hire-queue needs). */
export class RedisFullError extends HireQueueError {
  readonly code = 'REDIS_FULL';

  constructor(
    readonly where: string,
    /** Rows of the batch in Redis when it refused, when a batch was being filled. */
    readonly batch?: { batchId: string; rowsIn: number },
  ) {
    super(
      `Redis is full: it reached maxmemory and refuses writes (${where})` +
        (batch
          ? `; ${batch.rowsIn} row(s) went into batch ${batch.batchId} before it refused, and the batch is marked as not read to the end. Free memory or raise maxmemory, then enqueue the same file into the same batch: rows already in are not added twice`
          : '; free memory or raise maxmemory, then run the command again'),
    );
  }
}

/** Redis's answer to a write at `maxmemory` under noeviction. */
export function isRedisFull(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('OOM ');
}
