import { SANDBOX_APP } from '../src/sandbox/sandbox-config';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment of a hire-queue process a benchmark starts against its sandbox. */
export function sandboxEnv(
  sandboxUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FEISHU_BASE_URL: sandboxUrl,
    FEISHU_APP_ID: SANDBOX_APP.appId,
    FEISHU_APP_SECRET: SANDBOX_APP.appSecret,
    REDIS_URL,
    HIRE_QUEUE_PREFIX: prefix,
    ...extra,
  };
}
