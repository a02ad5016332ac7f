import { HireQueueError } from './hire-queue-error';

/** A call was about to leave for a batch an operator paused or cancelled; it was not sent. */
export class BatchHeldError extends HireQueueError {
  readonly code = 'BATCH_HELD';

  constructor(
    readonly batchId: string,
    readonly control: 'paused' | 'cancelled',
  ) {
    super(`batch ${batchId} is ${control}`);
  }
}
