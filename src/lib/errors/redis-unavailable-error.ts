import { HireQueueError } from './hire-queue-error';

/** Redis did not answer at start; nothing was enqueued or taken. */
export class RedisUnavailableError extends HireQueueError {
  readonly code = 'REDIS_UNAVAILABLE';
}
