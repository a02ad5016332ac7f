/**
 * How hard a transient failure is retried, and for how long at most. Rate limiting (99991400)
 * is not a failure and is waited out apart from this policy.
 */
export interface RetryPolicy {
  /** Quick retries inside one attempt, for transient outcomes only. @default 2 */
  quickRetries: number;
  /** First quick retry after this long; doubles. @default 200 */
  quickMinDelayMs: number;
  /** @default 1000 */
  quickMaxDelayMs: number;
  /** Quick retries stop once an attempt has spent this long. @default 5000 */
  quickMaxTotalMs: number;
  /** Attempts of a job (each ends after its quick retries); then it is dead-lettered. @default 5 */
  attempts: number;
  /** Backoff before attempt n+1: base * 2^(n-1), with jitter, at most `backoffMaxMs`. @default 2000 */
  backoffBaseMs: number;
  /** @default 60_000 */
  backoffMaxMs: number;
  /** Share of the backoff drawn at random (0 none, 1 full jitter). @default 0.5 */
  backoffJitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  quickRetries: 2,
  quickMinDelayMs: 200,
  quickMaxDelayMs: 1000,
  quickMaxTotalMs: 5000,
  attempts: 5,
  backoffBaseMs: 2000,
  backoffMaxMs: 60_000,
  backoffJitter: 0.5,
};

/**
 * BullMQ's own limit on a job's attempts, written into every job when it is enqueued. It is only a
 * backstop far above any policy: the worker's policy decides when a job has had enough, so a fleet
 * can change its policy without re-enqueuing anything.
 */
export const ATTEMPTS_CEILING = 100;

/** Attempts a job may have: the worker's policy, within what the job itself was enqueued with. */
export function attemptsAllowed(policy: RetryPolicy, enqueuedAttempts: number | undefined): number {
  return Math.min(policy.attempts, enqueuedAttempts ?? ATTEMPTS_CEILING);
}

/** Delay before the next attempt after `attemptsMade` failed ones. */
export function backoffDelayMs(attemptsMade: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling * (1 - policy.backoffJitter) + random() * ceiling * policy.backoffJitter);
}

/**
 * The BullMQ backoff type that selects `backoffDelayMs`. Short: it is stored in every job. (Jobs
 * of earlier versions name it `hire-capped-exponential`; any type not built into BullMQ reaches
 * the worker's strategy, so they back off the same way.)
 */
export const HIRE_BACKOFF = 'hire';
