/** Base of every error hire-queue raises on purpose; `code` is stable and safe to match on. */
export abstract class HireQueueError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isHireQueueError(error: unknown): error is HireQueueError {
  return error instanceof HireQueueError;
}
