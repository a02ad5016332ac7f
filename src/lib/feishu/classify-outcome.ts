import { FeishuApiError } from '../errors/feishu-api-error';
import { FleetFatalError } from '../errors/fleet-fatal-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { NetworkError } from '../errors/network-error';
import type { Operation } from './hire-schemas';

/** What a call's outcome means for its job, and what the worker does about it. */
export type OutcomeKind = 'success' | 'alreadyDone' | 'transient' | 'rateLimited' | 'permanent' | 'fatal';

interface CodeRule {
  kind: OutcomeKind;
  meaning: string;
  /** For fleet-fatal codes: what a person must fix. */
  fix?: string;
  /** Only for this operation (1002221 is "already done" for terminate). */
  only?: Operation;
}

/**
 * Every Feishu code hire-queue knows, in one table (the README shows it). Classification is by the
 * body's `code` whatever the HTTP status, because the platform sends some errors with HTTP 200.
 */
export const codeRules: Readonly<Record<number, CodeRule>> = {
  1002221: { kind: 'alreadyDone', meaning: 'application already terminated', only: 'terminate' },
  1002001: { kind: 'transient', meaning: 'Hire system error' },
  2200: { kind: 'transient', meaning: 'internal error under heavy load' },
  99991661: { kind: 'transient', meaning: 'token missing (client refetches the token once first)' },
  99991663: {
    kind: 'transient',
    meaning: 'token invalid or expired (client refetches the token once first)',
  },
  99991665: { kind: 'transient', meaning: 'invalid tenant token (client refetches the token once first)' },
  99991671: { kind: 'transient', meaning: 'token format wrong (client refetches the token once first)' },
  99991400: { kind: 'rateLimited', meaning: 'request trigger frequency limit' },
  1002002: { kind: 'permanent', meaning: 'parameter error' },
  1002102: { kind: 'permanent', meaning: 'talent not found' },
  1002206: { kind: 'permanent', meaning: 'an active application of this talent on this job exists' },
  1002222: { kind: 'permanent', meaning: 'talent already bound to another employee' },
  1002223: { kind: 'permanent', meaning: 'employee already bound to another talent' },
  1002224: { kind: 'permanent', meaning: 'employee not found' },
  1002511: { kind: 'permanent', meaning: 'talent reached the application count limit' },
  1002512: { kind: 'permanent', meaning: 'resume source not found' },
  10003: {
    kind: 'fatal',
    meaning: 'app_id invalid',
    fix: 'set FEISHU_APP_ID to the App ID of a self-built app (Developer Console > Credentials)',
  },
  10014: {
    kind: 'fatal',
    meaning: 'app_secret invalid',
    fix: 'set FEISHU_APP_SECRET to the current App Secret of FEISHU_APP_ID',
  },
  99991401: {
    kind: 'fatal',
    meaning: 'caller IP not on the allow-list',
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

export interface Classification {
  kind: OutcomeKind;
  /** Feishu's code when there was one, else `NETWORK`, `INVALID_INPUT`, `HTTP_<status>`. */
  code: string;
  message: string;
  /** For `fatal`: what to fix. */
  fix?: string;
  /** For `rateLimited`: how long Feishu asked us to wait. */
  retryAfterMs?: number;
}

const isTokenCode = (code: number | undefined) =>
  code === 99991661 || code === 99991663 || code === 99991665 || code === 99991671;
export { isTokenCode };

/** The single decision of what an outcome means; `error` undefined is success. */
export function classifyOutcome(operation: Operation | 'read' | 'token', error?: unknown): Classification {
  if (error === undefined) return { kind: 'success', code: '0', message: 'success' };
  if (error instanceof InvalidInputError)
    return { kind: 'permanent', code: error.code, message: error.message };
  if (error instanceof NetworkError) return { kind: 'transient', code: error.code, message: error.message };
  if (error instanceof FleetFatalError) {
    return {
      kind: 'fatal',
      code: String(error.feishuCode ?? error.code),
      message: error.message,
      fix: error.fix,
    };
  }
  if (!(error instanceof FeishuApiError)) {
    return { kind: 'transient', code: 'UNEXPECTED', message: (error as Error)?.message ?? String(error) };
  }
  const { feishuCode, httpStatus, feishuMsg } = error;
  const code = feishuCode === undefined ? `HTTP_${httpStatus}` : String(feishuCode);
  if (feishuCode === 99991400 || httpStatus === 429) {
    const classification: Classification = { kind: 'rateLimited', code, message: feishuMsg };
    if (error.rateLimitResetSeconds !== undefined)
      classification.retryAfterMs = error.rateLimitResetSeconds * 1000;
    return classification;
  }
  const rule = feishuCode === undefined ? undefined : codeRules[feishuCode];
  if (rule && (rule.only === undefined || rule.only === operation)) {
    return { kind: rule.kind, code, message: feishuMsg, ...(rule.fix ? { fix: rule.fix } : {}) };
  }
  if (rule?.only !== undefined) return { kind: 'permanent', code, message: feishuMsg };
  return { kind: httpStatus >= 500 ? 'transient' : 'permanent', code, message: feishuMsg };
}
