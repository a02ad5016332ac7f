import type { DeadLetter } from '../../src/lib/model/dead-letter';

/** A terminate row's dead letter, as a permanent error leaves one. */
export function terminateLetter(
  jobId: string,
  input: Record<string, unknown>,
  batchId = 'night-1',
): DeadLetter {
  return {
    jobId,
    batchId,
    operation: 'terminate',
    input,
    code: '1002002',
    message: 'parameter error',
    reason: 'permanent error',
    attemptsMade: 1,
    attempts: [],
    deadLetteredAt: new Date().toISOString(),
  };
}
