import { HireQueueError } from './hire-queue-error';

/** The command was asked for something it cannot do as asked (exit 2). */
export class UsageError extends HireQueueError {
  readonly code = 'USAGE';
  readonly exitCode = 2;
}
