import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs on stderr (stdout stays for reports and `--json`). Redaction is a second line
 * of defence: secrets and tokens are never passed to the logger in the first place.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: [
          'appSecret',
          'app_secret',
          '*.appSecret',
          '*.app_secret',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'tenant_access_token',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
