import { HireQueueError } from './hire-queue-error';

/** The input file as a whole cannot be read as rows (wrong header, not UTF-8, empty...). */
export class InputFileError extends HireQueueError {
  readonly code = 'INPUT_FILE';

  constructor(
    message: string,
    /** Set when the bytes are not in the encoding expected: the encoding they do read cleanly in, if one was found. */
    readonly encoding?: { suggested: string | undefined },
  ) {
    super(message);
  }
}
