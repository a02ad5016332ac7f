import { HireQueueError } from './hire-queue-error';

/** The team's group bot refused or did not take a message. Never carries the webhook address. */
export class GroupBotError extends HireQueueError {
  readonly code = 'GROUP_BOT';

  constructor(
    /** What the bot answered (19021: bad signature), when it answered. */
    readonly botCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}
