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

/**
 * The header does not name the operation's fields: `columns` as the file has them, and the mapping
 * (column -> field, null for a column not recognised) to start from when choosing one.
 */
export class HeaderError extends InputFileError {
  constructor(
    message: string,
    readonly columns: string[],
    readonly suggestedMapping: Record<string, string | null>,
  ) {
    super(message);
  }
}
