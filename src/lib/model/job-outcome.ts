/** How a job ended. Every job ends in exactly one of these, or stays pending. */
export type JobStatus = 'succeeded' | 'alreadyDone' | 'skipped' | 'deadLettered' | 'cancelled';

/** Every way a job ends, in the order reports list them. */
export const jobStatuses: readonly JobStatus[] = [
  'succeeded',
  'alreadyDone',
  'skipped',
  'deadLettered',
  'cancelled',
];

export interface JobOutcome {
  status: JobStatus;
  /** Create: the application id (also when found by reconciliation). */
  applicationId?: string;
  /** The call's success was established by reconciliation after an ambiguous attempt. */
  reconciled?: boolean;
  /** For dead letters: Feishu's code (or NETWORK, INVALID_INPUT, ...) and message; for skips, why. */
  code?: string;
  message?: string;
  logId?: string;
  finishedAt: string;
}
