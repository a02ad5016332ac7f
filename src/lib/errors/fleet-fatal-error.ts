import { HireQueueError } from './hire-queue-error';

/**
 * Every call of the fleet will fail until a person fixes something (credentials, allow-list,
 * scope, quota). Workers stop taking jobs and leave them queued; `fix` says what to do.
 */
export class FleetFatalError extends HireQueueError {
  readonly code = 'FLEET_FATAL';

  constructor(
    readonly fix: string,
    readonly feishuCode: number | undefined,
    detail: string,
  ) {
    super(`${detail}. To fix: ${fix}`);
  }
}
