import { HireQueueError } from './hire-queue-error';

/** The input file as a whole cannot be read as rows (wrong header, not UTF-8, empty...). */
export class InputFileError extends HireQueueError {
  readonly code = 'INPUT_FILE';
}
