import { ConfigError } from '../lib/errors/config-error';

/** How the console runs: where it listens, its public address, who administers it, its limits. */
export interface ConsoleSettings {
  port: number;
  host: string;
  /**
   * `HIRE_CONSOLE_URL`: the address people open; the sign-in's redirect goes back to it. Unset:
   * `http://HOST:PORT` of the address the console listens on.
   */
  publicUrl: string | undefined;
  /** `HIRE_CONSOLE_SESSION_SECRET`: signs session cookies (unset on loopback: one kept in Redis). */
  sessionSecret: string | undefined;
  /** `HIRE_CONSOLE_ADMINS`: open ids of the admins. */
  admins: ReadonlySet<string>;
  /** `HIRE_CONSOLE_CONFIRM_ROWS`: above this many valid rows, confirming asks for the count typed. */
  confirmRows: number;
  /** `HIRE_CONSOLE_MAX_UPLOAD_MB`, in bytes. */
  maxUploadBytes: number;
  /**
   * `HIRE_CONSOLE_APPROVAL_ROWS`: a confirmed batch with more valid rows waits for a second person's
   * approval (unset: never).
   */
  approvalRows: number | undefined;
  /**
   * `HIRE_CONSOLE_CHECK_MAX_ROWS`: the most rows one check against Feishu reads (each takes a read
   * of the limit running batches share: 20,000 take 20 minutes at 1000/min).
   */
  checkMaxRows: number;
  /** A session ends after this long without a request. */
  idleTimeoutMs: number;
}

export const consoleDefaults = {
  port: 3100,
  host: '127.0.0.1',
  confirmRows: 100,
  maxUploadMb: 100,
  checkMaxRows: 20_000,
  idleTimeoutMs: 12 * 3_600_000,
} as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${name} must be a whole number of at least 1, got "${raw}"`);
  return n;
}

/**
 * The console's settings from its flags and environment. Beyond loopback it needs its public
 * address and a session secret: a cookie signed with a secret nobody set would not survive a
 * restart nor be shared by replicas, and the sign-in cannot come back to an address it does not know.
 */
export function consoleSettingsFrom(
  flags: { port?: number | undefined; host?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ConsoleSettings {
  const port = flags.port ?? wholeNumberOrZero(env, 'HIRE_CONSOLE_PORT') ?? consoleDefaults.port;
  const host = flags.host ?? consoleDefaults.host;
  const url = env.HIRE_CONSOLE_URL?.trim() || undefined;
  const sessionSecret = env.HIRE_CONSOLE_SESSION_SECRET || undefined;
  if (!isLoopback(host) && (url === undefined || sessionSecret === undefined))
    throw new ConfigError(
      `the console listens on ${host}, beyond this machine, only with HIRE_CONSOLE_URL (its public address) and HIRE_CONSOLE_SESSION_SECRET set`,
    );
  if (url !== undefined && !/^https?:\/\/[^/]+/.test(url))
    throw new ConfigError(
      `HIRE_CONSOLE_URL must be an http(s) address like https://hire.example.com, got "${url}"`,
    );
  if (sessionSecret !== undefined && sessionSecret.length < 32)
    throw new ConfigError(
      'HIRE_CONSOLE_SESSION_SECRET must be at least 32 characters (for example: openssl rand -hex 32)',
    );
  const admins = new Set(
    (env.HIRE_CONSOLE_ADMINS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  );
  return {
    port,
    host,
    publicUrl: url?.replace(/\/+$/, ''),
    sessionSecret,
    admins,
    confirmRows: wholeNumber(env, 'HIRE_CONSOLE_CONFIRM_ROWS', consoleDefaults.confirmRows),
    maxUploadBytes: wholeNumber(env, 'HIRE_CONSOLE_MAX_UPLOAD_MB', consoleDefaults.maxUploadMb) * 1024 * 1024,
    approvalRows: env.HIRE_CONSOLE_APPROVAL_ROWS
      ? wholeNumber(env, 'HIRE_CONSOLE_APPROVAL_ROWS', 1)
      : undefined,
    checkMaxRows: wholeNumber(env, 'HIRE_CONSOLE_CHECK_MAX_ROWS', consoleDefaults.checkMaxRows),
    idleTimeoutMs: consoleDefaults.idleTimeoutMs,
  };
}

function wholeNumberOrZero(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`${name} must be a port number from 0 to 65535, got "${raw}"`);
  return n;
}
