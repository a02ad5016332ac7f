import { ruleForNoAnswer, type CodeRule } from './code-rules';
import { HireQueueError } from '../errors/hire-queue-error';

/**
 * No answer came: refused, reset, dropped or timed out. The call may or may not have reached
 * Feishu, so an attempt that ends here is ambiguous. Carries no request (it would hold a token).
 */
export class NetworkError extends HireQueueError {
  readonly code = 'NETWORK';

  constructor(
    readonly endpoint: string,
    /** The system error code, e.g. `ECONNRESET`, or `TIMEOUT`. */
    readonly reason: string,
    message: string,
  ) {
    super(`${endpoint}: ${message}`);
  }

  /** What having no answer means: refused never left this machine, anything else may have. */
  rule(): CodeRule {
    return ruleForNoAnswer(this.reason);
  }
}
