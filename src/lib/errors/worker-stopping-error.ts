import { HireQueueError } from './hire-queue-error';

/** The worker is shutting down: a call that has not left yet is not sent, and its job is released. */
export class WorkerStoppingError extends HireQueueError {
  readonly code = 'WORKER_STOPPING';

  constructor() {
    super('the worker is stopping');
  }
}
