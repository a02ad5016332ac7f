import { HireQueueError } from './hire-queue-error';

/** No batch of that id under this prefix: a typo, another prefix, or state Redis no longer holds. */
export class UnknownBatchError extends HireQueueError {
  readonly code = 'UNKNOWN_BATCH';

  constructor(
    readonly batchId: string,
    prefix: string,
  ) {
    super(`no batch ${batchId} under prefix ${prefix}`);
  }
}
