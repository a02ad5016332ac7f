import { HireQueueError } from './hire-queue-error';

/**
 * More rows for a batch begun by hire-queue before 0.3, whose rows and jobs are laid out
 * differently: its workers finish it, but it takes no new rows.
 */
export class LegacyBatchError extends HireQueueError {
  readonly code = 'LEGACY_BATCH';

  constructor(readonly batchId: string) {
    super(
      `batch ${batchId} was begun by an earlier version of hire-queue and takes no more rows; ` +
        `its queued rows still run. Enqueue the new rows under another batch id`,
    );
  }
}
