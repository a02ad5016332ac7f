import { ruleForAnswer, type CodeRule } from './code-rules';
import type { Operation } from './hire-schemas';
import { HireQueueError } from '../errors/hire-queue-error';

/** What Feishu answered, kept whole for dead letters and support tickets (never headers or tokens). */
export interface FeishuAnswerFacts {
  /** Business code from the body, or undefined when the body carried none (e.g. a bare 502). */
  feishuCode: number | undefined;
  feishuMsg: string;
  httpStatus: number;
  /** `X-Tt-Logid`: the request id Feishu support asks for. */
  logId: string | undefined;
  /** Feishu's clock from the `Date` header, ms since epoch, when it sent one. */
  serverDateMs: number | undefined;
  /** `x-ogw-ratelimit-reset` in seconds, on a rate-limited answer. */
  rateLimitResetSeconds: number | undefined;
}

/** Feishu answered, and the answer is not success. `codeRules` says what it means. */
export class FeishuApiError extends HireQueueError implements FeishuAnswerFacts {
  readonly code = 'FEISHU_API';
  readonly feishuCode: number | undefined;
  readonly feishuMsg: string;
  readonly httpStatus: number;
  readonly logId: string | undefined;
  readonly serverDateMs: number | undefined;
  readonly rateLimitResetSeconds: number | undefined;

  constructor(
    readonly endpoint: string,
    facts: FeishuAnswerFacts,
  ) {
    super(
      `${endpoint}: HTTP ${facts.httpStatus}, code ${facts.feishuCode ?? 'none'}: ${facts.feishuMsg}` +
        (facts.logId ? ` (logid ${facts.logId})` : ''),
    );
    this.feishuCode = facts.feishuCode;
    this.feishuMsg = facts.feishuMsg;
    this.httpStatus = facts.httpStatus;
    this.logId = facts.logId;
    this.serverDateMs = facts.serverDateMs;
    this.rateLimitResetSeconds = facts.rateLimitResetSeconds;
  }

  /** What this answer means, from `codeRules`; `operation` matters for codes of one operation only. */
  rule(operation?: Operation | 'read' | 'token'): CodeRule {
    return ruleForAnswer(this.feishuCode, this.httpStatus, operation);
  }

  /** Feishu is asking us to slow down (99991400 or HTTP 429). */
  get isRateLimited(): boolean {
    return this.rule().kind === 'rateLimited';
  }

  /** Feishu refused the token itself: drop it and fetch another. */
  get isTokenRejected(): boolean {
    return this.rule().refreshToken === true;
  }
}
