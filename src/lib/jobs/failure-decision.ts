import type { Classification } from '../feishu/classify-outcome';
import type { Reconciliation } from '../feishu/code-rules';

/** How a job ends, or waits, after a failed call. */
export type FailureDecision =
  | Settle
  | {
      action: 'reconcile';
      reconcile: Reconciliation;
      /** When the earlier call turns out not to be what the answer reports. */
      ifNotOurs: Settle;
    }
  /** Back in line once Feishu's window allows, without spending an attempt. */
  | { action: 'waitForRateLimit'; delayMs: number }
  /** Every call of the fleet would fail: pause, fail nothing. */
  | { action: 'haltFleet' }
  /** Every call of this process would fail (its credentials, its IP): it stops, the job goes to another. */
  | { action: 'stopProcess' }
  /** Fail this attempt so BullMQ backs off and tries again. */
  | { action: 'retryLater' };

type Settle =
  | { action: 'alreadyDone' }
  | { action: 'deadLetter'; reason: string }
  /** Take the active application the answer reports as this row's; dead-letter if there is none. */
  | { action: 'adopt' };

export interface FailureContext {
  /** This attempt's number, from 1. */
  attempt: number;
  /** From the worker's retry policy (`attemptsAllowed`). */
  attemptsAllowed: number;
  /** An earlier call of this job may have taken effect (the attempt journal says so). */
  earlierCallMayHaveTakenEffect: boolean;
  /** The batch was enqueued with `existing: adopt`. @default false */
  adoptExisting?: boolean;
}

/** The processor's decision table: what a classified failure does to its job. */
export function decideAfterFailure(failure: Classification, context: FailureContext): FailureDecision {
  switch (failure.kind) {
    case 'rateLimited':
      return { action: 'waitForRateLimit', delayMs: failure.retryAfterMs ?? 1000 };
    case 'fatal':
      return failure.scope === 'process' ? { action: 'stopProcess' } : { action: 'haltFleet' };
    case 'alreadyDone':
    case 'permanent': {
      const adopt = failure.adoptable && context.adoptExisting === true;
      const settle: Settle = adopt
        ? { action: 'adopt' }
        : failure.kind === 'alreadyDone'
          ? { action: 'alreadyDone' }
          : { action: 'deadLetter', reason: failure.deadLetterReason };
      if (!failure.reconcile || !context.earlierCallMayHaveTakenEffect) return settle;
      const ifNotOurs: Settle =
        settle.action === 'deadLetter'
          ? { action: 'deadLetter', reason: `${settle.reason}, created before this job first called` }
          : settle;
      return { action: 'reconcile', reconcile: failure.reconcile, ifNotOurs };
    }
    case 'transient':
      if (context.attempt >= context.attemptsAllowed)
        return { action: 'deadLetter', reason: `retries exhausted after ${context.attempt} attempts` };
      return { action: 'retryLater' };
  }
}
