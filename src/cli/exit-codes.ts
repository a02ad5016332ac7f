import { isHireQueueError, type HireQueueError } from '../lib/errors/hire-queue-error';
import { InputFileError } from '../lib/errors/input-file-error';
import { InvalidOptionError } from '../lib/errors/invalid-option-error';
import { RedisFullError } from '../lib/errors/redis-full-error';

/** Exit codes are a public contract: cron entries and scripts branch on them. */
export const ExitCode = {
  /** Every row succeeded or was already done. */
  ok: 0,
  /** Fatal: configuration, credentials, Redis unreachable, a fleet-wide Feishu refusal. */
  fatal: 1,
  /** Usage error, an unreadable file, or `--strict` rejected the input. */
  usage: 2,
  /** Some rows were invalid or dead-lettered. */
  partial: 3,
} as const;

/** The exit of each library error, by its stable code; any other error is fatal. */
const exitByErrorCode: Readonly<Record<string, number>> = {
  CONFIG: ExitCode.fatal,
  REDIS_UNAVAILABLE: ExitCode.fatal,
  PORT_UNAVAILABLE: ExitCode.fatal,
  REDIS_FULL: ExitCode.fatal,
  FLEET_FATAL: ExitCode.fatal,
  INPUT_FILE: ExitCode.usage,
  INVALID_OPTION: ExitCode.usage,
  BATCH_CONFLICT: ExitCode.usage,
  UNKNOWN_BATCH: ExitCode.usage,
  BATCH_FINISHED: ExitCode.usage,
  BATCH_LOST: ExitCode.fatal,
  USAGE: ExitCode.usage,
};

/** The flag that sets each library option, so a library error reads as the command was typed. */
const flagOfOption: Readonly<Record<string, string>> = {
  batchId: '--batch',
  intoBatchId: '--into',
  olderThan: '--older-than',
  reasonIds: '--reason-id',
  operation: '--operation',
  outPath: '--out',
  resultsPath: '--results',
  encoding: '--encoding',
  host: '--host',
  skipCreated: '--skip-created',
  ifNotUpdatedSince: '--if-not-updated-since',
};

/** How a command ends on an error hire-queue raised on purpose: its exit code and message. */
export function describeFailure(error: HireQueueError): { exitCode: number; message: string } {
  const exitCode = exitByErrorCode[error.code] ?? ExitCode.fatal;
  if (error instanceof InvalidOptionError) {
    return { exitCode, message: `${flagOfOption[error.option] ?? error.option} ${error.problem}` };
  }
  if (error.code === 'BATCH_CONFLICT') return { exitCode, message: `${error.message} (--batch)` };
  if (error instanceof RedisFullError && error.batch)
    return { exitCode, message: `${error.message} (the same command with --batch ${error.batch.batchId})` };
  if (error instanceof InputFileError && error.encoding) {
    const { suggested } = error.encoding;
    return {
      exitCode,
      message: `${error.message}: add --encoding NAME${suggested ? `, e.g. --encoding ${suggested}` : ''}`,
    };
  }
  return { exitCode, message: error.message };
}

export { isHireQueueError };
