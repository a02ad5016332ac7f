import { FeishuApiError } from './feishu-api-error';
import { FleetFatalError } from '../errors/fleet-fatal-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { NetworkError } from './network-error';
import {
  codeRules,
  situationRules,
  type CodeRule,
  type FailureKind,
  type FatalScope,
  type Reconciliation,
} from './code-rules';
import type { Operation } from './hire-schemas';

export type { FailureKind } from './code-rules';

/** A failed call, classified once: what it means and what the worker does about it. */
export interface Classification {
  kind: FailureKind;
  /** Feishu's code when there was one, else `NETWORK`, `INVALID_INPUT`, `HTTP_<status>`, ... */
  code: string;
  message: string;
  /** The call may have taken effect although it did not answer success. */
  ambiguous: boolean;
  /** After an earlier call of the job that may have taken effect, how to check whether it did. */
  reconcile?: Reconciliation;
  /** With `existing: adopt`, the existing application may be taken as the row's. */
  adoptable: boolean;
  /** Why the row is dead-lettered, when it is. */
  deadLetterReason: string;
  /** For `fatal`: what to fix. */
  fix?: string;
  /** For `fatal`: this process only, or the whole fleet. */
  scope?: FatalScope;
  /** For `rateLimited`: how long Feishu asked us to wait. */
  retryAfterMs?: number;
  /** Facts of Feishu's answer, when there was one. */
  httpStatus?: number;
  logId?: string;
  serverDateMs?: number;
}

function fromRule(rule: CodeRule, code: string, message: string): Classification {
  return {
    kind: rule.kind,
    code,
    message,
    ambiguous: rule.ambiguous ?? false,
    adoptable: rule.adoptable ?? false,
    deadLetterReason: rule.deadLetterReason ?? 'permanent error',
    ...(rule.reconcile ? { reconcile: rule.reconcile } : {}),
    ...(rule.fix ? { fix: rule.fix } : {}),
    ...(rule.kind === 'fatal' ? { scope: rule.scope ?? 'fleet' } : {}),
  };
}

/** The single decision of what a failed call means (`codeRules` holds the facts it reads). */
export function classifyOutcome(operation: Operation | 'read' | 'token', error: unknown): Classification {
  if (error instanceof FeishuApiError) {
    const code = error.feishuCode === undefined ? `HTTP_${error.httpStatus}` : String(error.feishuCode);
    const classification = fromRule(error.rule(operation), code, error.feishuMsg);
    classification.httpStatus = error.httpStatus;
    if (error.logId) classification.logId = error.logId;
    if (error.serverDateMs !== undefined) classification.serverDateMs = error.serverDateMs;
    if (classification.kind === 'rateLimited' && error.rateLimitResetSeconds !== undefined)
      classification.retryAfterMs = error.rateLimitResetSeconds * 1000;
    return classification;
  }
  if (error instanceof NetworkError) return fromRule(error.rule(), error.code, error.message);
  if (error instanceof InvalidInputError)
    return fromRule(situationRules.invalidInput, error.code, error.message);
  if (error instanceof FleetFatalError) {
    const known = error.feishuCode === undefined ? undefined : codeRules[error.feishuCode];
    return fromRule(
      { kind: 'fatal', meaning: error.detail, fix: error.fix, scope: known?.scope ?? error.scope },
      String(error.feishuCode ?? error.code),
      error.detail,
    );
  }
  return fromRule(situationRules.unexpected, 'UNEXPECTED', (error as Error)?.message ?? String(error));
}
