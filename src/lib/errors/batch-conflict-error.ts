import { HireQueueError } from './hire-queue-error';

/** A batch id already names a batch of the other operation; a batch holds one operation. */
export class BatchConflictError extends HireQueueError {
  readonly code = 'BATCH_CONFLICT';

  constructor(
    readonly batchId: string,
    readonly existingOperation: string,
    readonly requestedOperation: string,
  ) {
    super(
      `batch ${batchId} already exists for ${existingOperation}, not ${requestedOperation}; choose another batch id`,
    );
  }
}
