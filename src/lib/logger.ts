import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs on stderr (stdout stays for reports and `--json`). Redaction is a second line
 * of defence: secrets and tokens are never passed to the logger in the first place.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        'appSecret',
        'app_secret',
        '*.appSecret',
        '*.app_secret',
        'secret',
        '*.secret',
        'token',
        '*.token',
        'tenant_access_token',
        '*.tenant_access_token',
        'authorization',
        'Authorization',
        '*.authorization',
        '*.Authorization',
        'headers.authorization',
        '*.headers.authorization',
        'webhook',
        '*.webhook',
        'sign',
        '*.sign',
      ],
      censor: '[redacted]',
    },
  };
  // JSON for machines (a file, journald, a collector); readable lines for a person at a terminal.
  if (process.stderr.isTTY)
    return pino(
      options,
      pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }),
    );
  return pino(options, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
