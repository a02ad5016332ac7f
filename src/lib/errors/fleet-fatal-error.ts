import { HireQueueError } from './hire-queue-error';

/** Whose calls a refusal stops: this process's (its credentials, its IP) or the whole fleet's. */
export type FatalScope = 'process' | 'fleet';

/**
 * Every call will fail until a person fixes something: this process's (its credentials, its IP on
 * the allow-list) or the whole fleet's (scope, quota, app disabled). Jobs are left queued, never
 * failed; `fix` says what to do.
 */
export class FleetFatalError extends HireQueueError {
  readonly code = 'FLEET_FATAL';

  constructor(
    readonly fix: string,
    readonly feishuCode: number | undefined,
    /** What happened, without the fix. */
    readonly detail: string,
    /** @default 'fleet' */
    readonly scope: FatalScope = 'fleet',
  ) {
    super(`${detail}. To fix: ${fix}`);
  }
}
