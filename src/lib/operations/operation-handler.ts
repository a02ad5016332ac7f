import type { z } from 'zod';
import type { HireQueueConfig } from '../config';
import type { CallControl, FeishuClient } from '../feishu/feishu-client';
import type { Reconciliation } from '../feishu/code-rules';
import type { InputOf, Operation } from '../feishu/hire-schemas';
import type { JournalState } from '../job-state/attempt-journal';
import type { LedgerEntry } from '../ledger/application-ledger';
import type { LimitedEndpoint, RateLimit } from '../limiter/rate-limit-spec';
import type { JobOutcome } from '../model/job-outcome';
import type { UpdatedSinceListing } from './updated-since-listing';

/** What a call's answer gave: the application it made (create), Feishu's log id and clock. */
export interface CallResult {
  applicationId?: string;
  logId: string | undefined;
  serverDateMs: number | undefined;
}

/** What a check before a job's first call may read. */
export interface PreCheckContext {
  client: FeishuClient;
  /** The close-out guard of rows that carry their job: one listing for the fleet. */
  updatedSince?: UpdatedSinceListing | undefined;
}

/**
 * Before a job's first call: go; skip it now, with why; or check at the call's slot (just before
 * it is sent) and skip it then if the check answers a reason.
 */
export type PreCheck =
  | { verdict: 'go' }
  | { verdict: 'skip'; reason: string }
  | { verdict: 'checkAtSend'; check: () => Promise<string | undefined> };

/** What a read before anything is written found a row would do (the console's check, 预检). */
export type CheckFinding =
  | { verdict: 'wouldSucceed' }
  | {
      verdict: 'alreadyDone' | 'wouldFail' | 'skipped';
      /** Feishu's code the call would meet (1002206), when one is known. */
      code?: string;
      reason: string;
      /** The application that is there already (a create's duplicate). */
      applicationId?: string;
      /** What was found, as a key a page explains in its own language. */
      why: 'notFound' | 'terminated' | 'moved' | 'duplicate' | 'unknownReason' | 'refused';
    };

/** What a check's rows share: reads made once for all of them. */
export interface CheckContext {
  /** The ids of Feishu's termination reasons (listed once per check). */
  terminationReasonIds(): Promise<ReadonlySet<string>>;
}

/**
 * Everything one Hire operation does differently; the job's path (`processHireJob`) is the same
 * for all. A third operation is one more file like `create-application.ts`, its schema in
 * `hire-schemas.ts`, and its entry in `operation-handlers.ts`.
 */
export interface OperationHandler<O extends Operation> {
  readonly operation: O;
  /** A row's input: what `enqueue` validates and the job's input is read with. */
  readonly schema: z.ZodType<InputOf[O]>;
  /** The fields a file must have a column for. */
  readonly requiredFields: readonly string[];
  /** The limiter's endpoint its calls take slots of. */
  readonly endpoint: LimitedEndpoint & O;
  /** Its rate limits as configured. */
  limitsOf(config: Pick<HireQueueConfig, 'createLimits' | 'terminateLimits'>): readonly RateLimit[];
  /**
   * Whether a job may read Feishu before its call (a pre-check): if not, its call can be admitted
   * when the job is opened, in the same Redis step.
   */
  readonly readsBeforeCall: boolean;
  preCheck(input: InputOf[O], context: PreCheckContext): Promise<PreCheck>;
  call(client: FeishuClient, input: InputOf[O], control: CallControl): Promise<CallResult>;
  /**
   * After an earlier call of the job that may have taken effect, an answer saying "already done":
   * was it this job's own call? Resolves with what that call made, or undefined for "not ours".
   */
  reconcile(
    how: Reconciliation,
    input: InputOf[O],
    journal: JournalState,
    client: FeishuClient,
  ): Promise<{ applicationId?: string } | undefined>;
  /**
   * Reads only: what the row's call would do now, as far as Feishu's read endpoints tell. The
   * reads take the `control` given (a check runs in the limiter's background lane).
   */
  checkAhead(
    client: FeishuClient,
    input: InputOf[O],
    control: CallControl,
    context: CheckContext,
  ): Promise<CheckFinding>;
  /** The existing thing a duplicate answer points at, for `existing: adopt` (undefined: none found). */
  findExisting?(client: FeishuClient, input: InputOf[O]): Promise<string | undefined>;
  /** What the ledger keeps of an outcome, if anything. */
  ledgerEntry?(input: InputOf[O], outcome: JobOutcome): LedgerEntry | undefined;
}
