import { z } from 'zod';
import { ConfigError } from './errors/config-error';
import { databaseOf } from './redis/redis-url';
import { limiterDefaults } from './limiter/fleet-rate-limiter';
import type { MarginOptions } from './limiter/margin-learner';
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
  /** `REDIS_CLUSTER_NODES`: `host:port,...` of some Redis Cluster nodes selects cluster mode. @default none */
  redisClusterNodes: string[] | undefined;
  /** `REDIS_TLS_CA`: a PEM file (or the PEM) of a private CA that signed Redis's certificate (with `rediss://`). */
  redisTlsCa: string | undefined;
  /** `HIRE_QUEUE_PREFIX`: prefix of every Redis key; braces make one Redis Cluster hash slot. @default '{hire-queue}' */
  queuePrefix: string;
  /** `HIRE_LIMIT_CREATE`. @default '50/s,1000/min' */
  createLimits: RateLimit[];
  /** `HIRE_LIMIT_TERMINATE`. @default '20/s' */
  terminateLimits: RateLimit[];
  /** `HIRE_LIMIT_READ`: list/get applications and termination reasons. @default '50/s,1000/min' */
  readLimits: RateLimit[];
  /**
   * The margin added to every window, covering the spread of delays to Feishu: `HIRE_LIMIT_MARGIN`
   * (`learned` or `fixed`), `HIRE_LIMIT_MARGIN_MS` (the floor, or the fixed value) and
   * `HIRE_LIMIT_MARGIN_MAX_MS` (the ceiling). @default { mode: 'learned', floorMs: 10, ceilingMs: 1000 }
   */
  limiterMargin: MarginOptions;
  /** `FEISHU_TIMEOUT_MS`: per-request timeout. @default 10000 */
  requestTimeoutMs: number;
  /** `HIRE_LEDGER_DAYS`: how long the applications hire-queue created are remembered. @default 400 */
  ledgerDays: number;
  /** `HIRE_METRICS_PORT`: serve /metrics and /healthz on it (`work`, `run`). @default none */
  metricsPort: number | undefined;
  /** `HIRE_NOTIFY_WEBHOOK`: a Feishu group custom bot's webhook address, told when a batch ends. A secret. */
  notifyWebhook: string | undefined;
  /** `HIRE_NOTIFY_SECRET`: that bot's signing secret, when it has one. */
  /** `HIRE_CONSOLE_URL`: where the console is, so a group message links to a batch's page. */
  consoleUrl: string | undefined;
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
  limiterMargin: limiterDefaults.margin,
  requestTimeoutMs: 10_000,
  ledgerDays: 400,
} as const;

/** Why a Redis URL cannot be used as it is, or undefined when it can. */
function redisUrlProblem(url: string): string | undefined {
  if (!/^rediss?:\/\/\S+$/.test(url))
    return 'REDIS_URL must look like redis://host:6379 or rediss://host:6380';
  try {
    new URL(url);
  } catch {
    return 'REDIS_URL is not a valid URL (is the port a number from 1 to 65535?)';
  }
  if (databaseOf(url) === undefined)
    return 'REDIS_URL: the database (after the last /, or ?db=) must be a number, like redis://host:6379/0';
  return undefined;
}

const envSchema = z.object({
  FEISHU_APP_ID: z.string().min(1).optional(),
  FEISHU_APP_SECRET: z.string().min(1).optional(),
  FEISHU_DOMAIN: z.enum(['feishu', 'lark'], { error: 'FEISHU_DOMAIN must be "feishu" or "lark"' }).optional(),
  FEISHU_BASE_URL: z.url({ error: 'FEISHU_BASE_URL must be a URL like https://open.feishu.cn' }).optional(),
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(
      /^\s*[^\s,:]+:\d+\s*(,\s*[^\s,:]+:\d+\s*)*$/,
      'REDIS_CLUSTER_NODES must look like 10.0.0.1:6379,10.0.0.2:6379',
    )
    .optional(),
  REDIS_TLS_CA: z.string().min(1).optional(),
  HIRE_QUEUE_PREFIX: z
    .string()
    .regex(/^[^\s:]+$/, 'HIRE_QUEUE_PREFIX must have no spaces or colons, e.g. {hire-queue}')
    .optional(),
  HIRE_LIMIT_CREATE: z.string().optional(),
  HIRE_LIMIT_TERMINATE: z.string().optional(),
  HIRE_LIMIT_READ: z.string().optional(),
  HIRE_LIMIT_MARGIN: z
    .enum(['learned', 'fixed'], { error: 'HIRE_LIMIT_MARGIN must be "learned" or "fixed"' })
    .optional(),
  HIRE_LIMIT_MARGIN_MS: z.coerce
    .number({ error: 'HIRE_LIMIT_MARGIN_MS must be a number of milliseconds' })
    .min(0, 'HIRE_LIMIT_MARGIN_MS must be 0 or more')
    .optional(),
  HIRE_LIMIT_MARGIN_MAX_MS: z.coerce
    .number({ error: 'HIRE_LIMIT_MARGIN_MAX_MS must be a number of milliseconds' })
    .positive('HIRE_LIMIT_MARGIN_MAX_MS must be more than 0')
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
  HIRE_CONSOLE_URL: z.string().optional(),
  HIRE_LEDGER_DAYS: z.coerce
    .number({ error: 'HIRE_LEDGER_DAYS must be a number of days' })
    .positive('HIRE_LEDGER_DAYS must be more than 0')
    .optional(),
});

/**
 * Every environment variable hire-queue reads: the config's, plus the log level (the logger) and
 * the dashboard's credentials (read only by `hire-queue dashboard`).
 */
export const environmentVariables: readonly string[] = [
  ...Object.keys(envSchema.shape),
  'LOG_LEVEL',
  'HIRE_DASHBOARD_USER',
  'HIRE_DASHBOARD_PASSWORD',
  // The console's own (read by `hire-queue console`).
  'HIRE_CONSOLE_PORT',
  'HIRE_CONSOLE_URL',
  'HIRE_CONSOLE_SESSION_SECRET',
  'HIRE_CONSOLE_ADMINS',
  'HIRE_CONSOLE_CONFIRM_ROWS',
  'HIRE_CONSOLE_MAX_UPLOAD_MB',
  'HIRE_CONSOLE_APPROVAL_ROWS',
  'HIRE_CONSOLE_CHECK_MAX_ROWS',
];

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
    redisClusterNodes: e.REDIS_CLUSTER_NODES?.split(',').map((node) => node.trim()),
    redisTlsCa: e.REDIS_TLS_CA,
    queuePrefix: clusterSafePrefix(e.HIRE_QUEUE_PREFIX ?? defaultConfig.queuePrefix, e.REDIS_CLUSTER_NODES),
    createLimits: parseRateLimits(e.HIRE_LIMIT_CREATE ?? defaultConfig.createLimits, 'HIRE_LIMIT_CREATE'),
    terminateLimits: parseRateLimits(
      e.HIRE_LIMIT_TERMINATE ?? defaultConfig.terminateLimits,
      'HIRE_LIMIT_TERMINATE',
    ),
    readLimits: parseRateLimits(e.HIRE_LIMIT_READ ?? defaultConfig.readLimits, 'HIRE_LIMIT_READ'),
    limiterMargin: limiterMarginOf(e),
    requestTimeoutMs: e.FEISHU_TIMEOUT_MS ?? defaultConfig.requestTimeoutMs,
    ledgerDays: e.HIRE_LEDGER_DAYS ?? defaultConfig.ledgerDays,
    metricsPort: e.HIRE_METRICS_PORT,
    notifyWebhook: e.HIRE_NOTIFY_WEBHOOK,
    notifySecret: e.HIRE_NOTIFY_SECRET,
    consoleUrl: e.HIRE_CONSOLE_URL?.replace(/\/+$/, ''),
  };
}

/** In a cluster every key of a queue must share one slot: the prefix must hold a hash tag. */
function clusterSafePrefix(prefix: string, clusterNodes: string | undefined): string {
  if (clusterNodes !== undefined && !/\{[^}]+\}/.test(prefix))
    throw new ConfigError(
      `HIRE_QUEUE_PREFIX must hold a hash tag in cluster mode, e.g. {${prefix}}, so that every key lands in one slot`,
    );
  return prefix;
}

function limiterMarginOf(e: z.infer<typeof envSchema>): MarginOptions {
  const floorMs = e.HIRE_LIMIT_MARGIN_MS ?? defaultConfig.limiterMargin.floorMs;
  const ceilingMs = e.HIRE_LIMIT_MARGIN_MAX_MS ?? defaultConfig.limiterMargin.ceilingMs;
  if (ceilingMs < floorMs)
    throw new ConfigError(
      `HIRE_LIMIT_MARGIN_MAX_MS (${ceilingMs}) must be at least HIRE_LIMIT_MARGIN_MS (${floorMs})`,
    );
  return { mode: e.HIRE_LIMIT_MARGIN ?? defaultConfig.limiterMargin.mode, floorMs, ceilingMs };
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
