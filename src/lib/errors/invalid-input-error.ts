import { HireQueueError } from './hire-queue-error';

/** A request body failed the seed's rules before any call was made. `issues` name each field. */
export class InvalidInputError extends HireQueueError {
  readonly code = 'INVALID_INPUT';

  constructor(
    readonly issues: string[],
    context = 'input',
  ) {
    super(`${context} is invalid: ${issues.join('; ')}`);
  }
}
