import { HireQueueError } from './hire-queue-error';

/** A server of hire-queue's could not listen where it was told to (the port is taken, or not allowed). */
export class PortUnavailableError extends HireQueueError {
  readonly code = 'PORT_UNAVAILABLE';

  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    reason: string,
  ) {
    super(`cannot serve ${what} on ${host}:${port}: ${reason}; nothing was started`);
  }
}
