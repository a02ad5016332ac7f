import { HireQueueError } from '../lib/errors/hire-queue-error';

/** The command was asked for something it cannot do as asked. */
export class UsageError extends HireQueueError {
  readonly code = 'USAGE';
}
