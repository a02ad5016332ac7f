import { HireQueueError } from './hire-queue-error';

/**
 * Feishu did not let someone sign in: they refused, the code was used or expired, the app is not
 * allowed for them, ... `feishuCode` is the platform's (see `../shared/docs/feishu-login.md`),
 * `reason` a stable word for the page to explain.
 */
export class SignInError extends HireQueueError {
  readonly code = 'SIGN_IN';

  constructor(
    readonly reason: 'refused' | 'codeUsedOrExpired' | 'notAllowed' | 'misconfigured' | 'unavailable',
    message: string,
    readonly feishuCode?: number,
  ) {
    super(message);
  }
}
