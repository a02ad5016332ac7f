import { HireQueueError } from './hire-queue-error';

/**
 * A library option has a value it cannot take. `option` is the option's name in the library
 * (`batchId`, `olderThan`, ...): the command line shows the flag that sets it instead.
 */
export class InvalidOptionError extends HireQueueError {
  readonly code = 'INVALID_OPTION';

  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}
