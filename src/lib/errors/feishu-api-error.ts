import { HireQueueError } from './hire-queue-error';

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

/** Feishu answered, and the answer is not success. `classifyOutcome` decides what it means. */
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
}
