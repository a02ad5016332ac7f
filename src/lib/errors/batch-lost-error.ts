import { HireQueueError } from './hire-queue-error';

/**
 * Redis no longer holds a batch, or the jobs of its pending rows, while rows were pending: it was
 * restarted without persistence, or it evicted keys. Waiting longer would wait forever.
 */
export class BatchLostError extends HireQueueError {
  readonly code = 'BATCH_LOST';

  constructor(
    readonly batchId: string,
    readonly done: number,
    readonly total: number,
    what: string,
  ) {
    super(
      `batch ${batchId}: Redis no longer holds ${what} (${done} of ${total} rows were done). ` +
        'Likely cause: Redis restarted without persistence (enable appendonly) or evicted keys ' +
        '(set maxmemory-policy noeviction)',
    );
  }
}
