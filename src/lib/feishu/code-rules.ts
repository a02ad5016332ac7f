import type { FatalScope } from '../errors/fleet-fatal-error';
import type { Operation } from './hire-schemas';

export type { FatalScope };

/** What a failed call means for its job. A call that succeeded is not classified: it succeeded. */
export type FailureKind = 'alreadyDone' | 'transient' | 'rateLimited' | 'permanent' | 'fatal';

/**
 * How to find out whether an earlier call of the same job, one that may have taken effect, is what
 * this answer reports: `ownApplication` lists the talent's active applications on the job and
 * compares creation times; `ownTermination` compares the application's modification time.
 */
export type Reconciliation = 'ownApplication' | 'ownTermination';

export interface CodeRule {
  kind: FailureKind;
  /** What the code means, in a few words (dead letters and the README show it). */
  meaning: string;
  /** For `fatal`: what a person must fix. */
  fix?: string;
  /**
   * For `fatal`: whom it stops. `process` when the cause is this machine's own (its credentials, its
   * IP): that process exits and the rest of the fleet goes on. `fleet` when every process would get
   * the same answer (scope, quota, app disabled): the queues pause. @default 'fleet'
   */
  scope?: FatalScope;
  /** The call may have taken effect although the answer is not a success. @default false */
  ambiguous?: boolean;
  /** After an earlier call of the job that may have taken effect, check whether it did. */
  reconcile?: Reconciliation;
  /**
   * The answer says the thing already exists: with `existing: adopt` the row takes the existing one
   * (looked up by talent and job) as its own, `alreadyDone`. @default false
   */
  adoptable?: boolean;
  /** Why a row answered this way is dead-lettered, when it is. @default 'permanent error' */
  deadLetterReason?: string;
  /** The token was refused: the client drops it fleet-wide and retries the call once. @default false */
  refreshToken?: boolean;
  /** The rule holds for this operation only; for the other the code is an unknown permanent error. */
  only?: Operation;
}

const tokenRejected = (meaning: string): CodeRule => ({
  kind: 'transient',
  meaning: `${meaning} (client refetches the token once first)`,
  refreshToken: true,
});

/**
 * Every Feishu code hire-queue knows, in one table (the README shows it). Classification is by the
 * body's `code` whatever the HTTP status, because the platform sends some errors with HTTP 200.
 */
export const codeRules: Readonly<Record<number, CodeRule>> = {
  1002221: {
    kind: 'alreadyDone',
    meaning: 'application already terminated',
    only: 'terminate',
    reconcile: 'ownTermination',
  },
  1002001: { kind: 'transient', meaning: 'Hire system error', ambiguous: true },
  2200: { kind: 'transient', meaning: 'internal error under heavy load', ambiguous: true },
  99991661: tokenRejected('token missing'),
  99991663: tokenRejected('token invalid or expired'),
  99991665: tokenRejected('invalid tenant token'),
  99991671: tokenRejected('token format wrong'),
  99991400: { kind: 'rateLimited', meaning: 'request trigger frequency limit' },
  1002002: { kind: 'permanent', meaning: 'parameter error' },
  1002102: { kind: 'permanent', meaning: 'talent not found' },
  1002206: {
    kind: 'permanent',
    meaning: 'an active application of this talent on this job exists',
    only: 'create',
    reconcile: 'ownApplication',
    adoptable: true,
    deadLetterReason: 'duplicate: an active application of this talent on this job exists',
  },
  1002222: { kind: 'permanent', meaning: 'talent already bound to another employee' },
  1002223: { kind: 'permanent', meaning: 'employee already bound to another talent' },
  1002224: { kind: 'permanent', meaning: 'employee not found' },
  1002511: { kind: 'permanent', meaning: 'talent reached the application count limit' },
  1002512: { kind: 'permanent', meaning: 'resume source not found' },
  10003: {
    kind: 'fatal',
    meaning: 'app_id invalid',
    scope: 'process',
    fix: 'set FEISHU_APP_ID to the App ID of a self-built app (Developer Console > Credentials)',
  },
  10014: {
    kind: 'fatal',
    meaning: 'app_secret invalid',
    scope: 'process',
    fix: 'set FEISHU_APP_SECRET to the current App Secret of FEISHU_APP_ID',
  },
  99991401: {
    kind: 'fatal',
    meaning: 'caller IP not on the allow-list',
    scope: 'process',
    fix: "add this machine's egress IP to the app's IP allow-list",
  },
  99991403: {
    kind: 'fatal',
    meaning: 'monthly API quota exhausted',
    fix: 'upgrade the tenant plan or wait for the quota to reset next month',
  },
  99991672: {
    kind: 'fatal',
    meaning: 'app lacks the required scope',
    fix: 'grant the app the hire:application scope and publish a new version',
  },
  99991662: { kind: 'fatal', meaning: 'app disabled', fix: 'enable the app in the Developer Console' },
  99991673: {
    kind: 'fatal',
    meaning: 'app unavailable',
    fix: 'check the app status in the Developer Console',
  },
};

/** Rules for what is not a known code: statuses without one, no answer at all, our own refusals. */
export const situationRules = {
  /** HTTP 429 whatever the body says. */
  tooManyRequests: { kind: 'rateLimited', meaning: 'too many requests' },
  /** A 5xx without a known code: the server may have acted before failing. */
  serverError: { kind: 'transient', meaning: 'server error', ambiguous: true },
  /** A 4xx (or a 200 with a non-zero code) that the table does not know. */
  unknownCode: { kind: 'permanent', meaning: 'unknown error code' },
  /** A known code that belongs to the other operation. */
  otherOperationsCode: { kind: 'permanent', meaning: 'unexpected code for this operation' },
  /** Timeout, reset or dropped connection: the request may have reached Feishu. */
  noAnswer: { kind: 'transient', meaning: 'no answer', ambiguous: true },
  /** The connection was refused: the request never left this machine. */
  connectionRefused: { kind: 'transient', meaning: 'connection refused' },
  /** The request failed the seeds' rules before any call. */
  invalidInput: { kind: 'permanent', meaning: 'invalid input' },
  /** Anything else thrown on the way: retried like a transient failure, within the attempts. */
  unexpected: { kind: 'transient', meaning: 'unexpected error' },
} as const satisfies Record<string, CodeRule>;

/** The rule for an answer: by its code first, whatever the HTTP status, except that 429 is 429. */
export function ruleForAnswer(
  feishuCode: number | undefined,
  httpStatus: number,
  operation?: Operation | 'read' | 'token',
): CodeRule {
  if (httpStatus === 429) return situationRules.tooManyRequests;
  const rule = feishuCode === undefined ? undefined : codeRules[feishuCode];
  if (rule) {
    if (rule.only === undefined || operation === undefined || rule.only === operation) return rule;
    return situationRules.otherOperationsCode;
  }
  return httpStatus >= 500 ? situationRules.serverError : situationRules.unknownCode;
}

/** The rule for a call that got no answer; `reason` is the system error (`ECONNRESET`, `TIMEOUT`...). */
export function ruleForNoAnswer(reason: string): CodeRule {
  return reason === 'ECONNREFUSED' ? situationRules.connectionRefused : situationRules.noAnswer;
}

/**
 * What a dead letter's or an outcome's code means (Feishu's, or hire-queue's own: `INVALID_INPUT`,
 * `NETWORK`, `HTTP_<status>`), from the table above; undefined for a code it does not know.
 */
export function ruleForCode(code: string): CodeRule | undefined {
  if (/^\d+$/.test(code)) return codeRules[Number(code)];
  if (code === 'INVALID_INPUT') return situationRules.invalidInput;
  if (code === 'NETWORK') return situationRules.noAnswer;
  const http = /^HTTP_(\d{3})$/.exec(code);
  if (http) return Number(http[1]) >= 500 ? situationRules.serverError : situationRules.unknownCode;
  return undefined;
}
