import axios from 'axios';
import { createHmac } from 'node:crypto';
import pRetry from 'p-retry';
import { GroupBotError } from '../errors/group-bot-error';

/** A Feishu group custom bot: its webhook address and, if it has one, its signing secret. Both secrets. */
export interface GroupBot {
  webhook: string;
  secret?: string | undefined;
}

/**
 * The signature Feishu checks ("签名校验"): base64(HMAC-SHA256(key = timestamp + "\n" + secret,
 * message = empty)), with the timestamp in unix seconds.
 */
export function signBotMessage(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/**
 * Posts one message (a card, rich text...) to the group, signed when the bot has a secret, retried
 * a few times. Rejects with what the bot answered; the webhook address never appears in an error.
 */
export async function postToGroup(bot: GroupBot, message: object, retries = 3): Promise<void> {
  await pRetry(
    async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const body = bot.secret
        ? { ...message, timestamp: String(timestamp), sign: signBotMessage(bot.secret, timestamp) }
        : message;
      let answer: { code?: number; StatusCode?: number; msg?: string };
      try {
        const response = await axios.post(bot.webhook, body, { timeout: 5000, validateStatus: () => true });
        answer = (response.data ?? {}) as typeof answer;
      } catch (error) {
        throw new GroupBotError(
          undefined,
          `the group bot did not answer (${(error as { code?: string }).code ?? 'network'})`,
        );
      }
      const code = answer.code ?? answer.StatusCode ?? 0;
      if (code !== 0) throw new GroupBotError(code, `the group bot answered ${code}: ${answer.msg ?? ''}`);
    },
    { retries, minTimeout: 200, maxTimeout: 2000 },
  );
}
