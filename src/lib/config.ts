import { z } from 'zod';
import { ConfigError } from './errors/config-error';
import { parseRateLimits, type RateLimit } from './limiter/rate-limit-spec';

/** Everything hire-queue reads from its environment, resolved and checked once at start. */
export interface HireQueueConfig {
  /** `FEISHU_APP_ID`. */
  appId: string | undefined;
  /** `FEISHU_APP_SECRET`. Only the token module reads it. */
  appSecret: string | undefined;
  /** `FEISHU_BASE_URL`, else from `FEISHU_DOMAIN`. @default 'https://open.feishu.cn' */
  baseUrl: string;
  /** `REDIS_URL`. @default 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** `HIRE_QUEUE_PREFIX`: prefix of every Redis key; braces make one Redis Cluster hash slot. @default '{hire-queue}' */
  queuePrefix: string;
  /** `HIRE_LIMIT_CREATE`. @default '50/s,1000/min' */
  createLimits: RateLimit[];
  /** `HIRE_LIMIT_TERMINATE`. @default '20/s' */
  terminateLimits: RateLimit[];
  /** `HIRE_LIMIT_READ`: list/get applications and termination reasons. @default '50/s,1000/min' */
  readLimits: RateLimit[];
  /** `HIRE_LIMIT_MARGIN_MS`: spacing added to every window, covering network jitter. @default 20 */
  limiterMarginMs: number;
  /** `FEISHU_TIMEOUT_MS`: per-request timeout. @default 10000 */
  requestTimeoutMs: number;
  /** `HIRE_LEDGER_DAYS`: how long the applications hire-queue created are remembered. @default 400 */
  ledgerDays: number;
  /** `HIRE_METRICS_PORT`: serve /metrics and /healthz on it (`work`, `run`). @default none */
  metricsPort: number | undefined;
  /** `HIRE_NOTIFY_WEBHOOK`: a Feishu group custom bot's webhook address, told when a batch ends. A secret. */
  notifyWebhook: string | undefined;
  /** `HIRE_NOTIFY_SECRET`: that bot's signing secret, when it has one. */
  notifySecret: string | undefined;
}

export const domains = { feishu: 'https://open.feishu.cn', lark: 'https://open.larksuite.com' } as const;

/** The defaults, in one place. */
export const defaultConfig = {
  baseUrl: domains.feishu,
  redisUrl: 'redis://127.0.0.1:6379',
  queuePrefix: '{hire-queue}',
  createLimits: '50/s,1000/min',
  terminateLimits: '20/s',
  readLimits: '50/s,1000/min',
  limiterMarginMs: 20,
  requestTimeoutMs: 10_000,
  ledgerDays: 400,
} as const;

const envSchema = z.object({
  FEISHU_APP_ID: z.string().min(1).optional(),
  FEISHU_APP_SECRET: z.string().min(1).optional(),
  FEISHU_DOMAIN: z.enum(['feishu', 'lark'], { error: 'FEISHU_DOMAIN must be "feishu" or "lark"' }).optional(),
  FEISHU_BASE_URL: z.url({ error: 'FEISHU_BASE_URL must be a URL like https://open.feishu.cn' }).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'REDIS_URL must look like redis://host:6379 or rediss://host:6380')
    .optional(),
  HIRE_QUEUE_PREFIX: z
    .string()
    .regex(/^[^\s:]+$/, 'HIRE_QUEUE_PREFIX must have no spaces or colons, e.g. {hire-queue}')
    .optional(),
  HIRE_LIMIT_CREATE: z.string().optional(),
  HIRE_LIMIT_TERMINATE: z.string().optional(),
  HIRE_LIMIT_READ: z.string().optional(),
  HIRE_LIMIT_MARGIN_MS: z.coerce
    .number({ error: 'HIRE_LIMIT_MARGIN_MS must be a number of milliseconds' })
    .min(0, 'HIRE_LIMIT_MARGIN_MS must be 0 or more')
    .optional(),
  FEISHU_TIMEOUT_MS: z.coerce
    .number({ error: 'FEISHU_TIMEOUT_MS must be a number of milliseconds' })
    .int()
    .positive('FEISHU_TIMEOUT_MS must be more than 0')
    .optional(),
  HIRE_METRICS_PORT: z.coerce
    .number({ error: 'HIRE_METRICS_PORT must be a port number' })
    .int()
    .min(0, 'HIRE_METRICS_PORT must be a port number from 0 to 65535')
    .max(65535, 'HIRE_METRICS_PORT must be a port number from 0 to 65535')
    .optional(),
  HIRE_NOTIFY_WEBHOOK: z
    .url({ error: 'HIRE_NOTIFY_WEBHOOK must be a URL like https://open.feishu.cn/open-apis/bot/v2/hook/...' })
    .optional(),
  HIRE_NOTIFY_SECRET: z.string().min(1).optional(),
  HIRE_LEDGER_DAYS: z.coerce
    .number({ error: 'HIRE_LEDGER_DAYS must be a number of days' })
    .positive('HIRE_LEDGER_DAYS must be more than 0')
    .optional(),
});

export type ConfigSource = Partial<Record<keyof z.infer<typeof envSchema>, string | undefined>>;

/** Reads the environment (or flags laid over it); each mistake names its variable and the form expected. */
export function loadConfig(env: ConfigSource = process.env): HireQueueConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key as keyof ConfigSource];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues
        .map((i) =>
          i.message.includes(String(i.path[0])) ? i.message : `${String(i.path[0])}: ${i.message}`,
        )
        .join('; '),
    );
  }
  const e = parsed.data;
  return {
    appId: e.FEISHU_APP_ID,
    appSecret: e.FEISHU_APP_SECRET,
    baseUrl: (e.FEISHU_BASE_URL ?? domains[e.FEISHU_DOMAIN ?? 'feishu']).replace(/\/+$/, ''),
    redisUrl: e.REDIS_URL ?? defaultConfig.redisUrl,
    queuePrefix: e.HIRE_QUEUE_PREFIX ?? defaultConfig.queuePrefix,
    createLimits: parseRateLimits(e.HIRE_LIMIT_CREATE ?? defaultConfig.createLimits, 'HIRE_LIMIT_CREATE'),
    terminateLimits: parseRateLimits(
      e.HIRE_LIMIT_TERMINATE ?? defaultConfig.terminateLimits,
      'HIRE_LIMIT_TERMINATE',
    ),
    readLimits: parseRateLimits(e.HIRE_LIMIT_READ ?? defaultConfig.readLimits, 'HIRE_LIMIT_READ'),
    limiterMarginMs: e.HIRE_LIMIT_MARGIN_MS ?? defaultConfig.limiterMarginMs,
    requestTimeoutMs: e.FEISHU_TIMEOUT_MS ?? defaultConfig.requestTimeoutMs,
    ledgerDays: e.HIRE_LEDGER_DAYS ?? defaultConfig.ledgerDays,
    metricsPort: e.HIRE_METRICS_PORT,
    notifyWebhook: e.HIRE_NOTIFY_WEBHOOK,
    notifySecret: e.HIRE_NOTIFY_SECRET,
  };
}

/** The credentials, or a message naming what is missing. */
export function requireCredentials(config: HireQueueConfig): { appId: string; appSecret: string } {
  const missing = [
    config.appId === undefined ? 'FEISHU_APP_ID' : undefined,
    config.appSecret === undefined ? 'FEISHU_APP_SECRET' : undefined,
  ].filter((v) => v !== undefined);
  if (missing.length > 0 || config.appId === undefined || config.appSecret === undefined) {
    throw new ConfigError(
      `${missing.join(' and ')} must be set: the App ID and App Secret of a self-built Feishu app with the hire:application scope`,
    );
  }
  return { appId: config.appId, appSecret: config.appSecret };
}
