import { HireQueueError } from './hire-queue-error';

/** A close-out's terminate was about to leave for an application someone moved since the cutoff; it was not sent. */
export class ApplicationMovedError extends HireQueueError {
  readonly code = 'APPLICATION_MOVED';

  constructor(readonly reason: string) {
    super(reason);
  }
}
