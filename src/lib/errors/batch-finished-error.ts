import { HireQueueError } from './hire-queue-error';

/** The batch already ended (finished or cancelled): there is nothing left to pause, resume or cancel. */
export class BatchFinishedError extends HireQueueError {
  readonly code = 'BATCH_FINISHED';

  constructor(
    readonly batchId: string,
    readonly state: string,
    action: string,
  ) {
    super(`batch ${batchId} is ${state}: nothing to ${action}`);
  }
}
