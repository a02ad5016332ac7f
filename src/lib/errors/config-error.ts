import { HireQueueError } from './hire-queue-error';

/** A setting (environment variable, flag or file) is missing or malformed. The message names it. */
export class ConfigError extends HireQueueError {
  readonly code = 'CONFIG';
}
