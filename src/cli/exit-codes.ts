/** Exit codes are a public contract: cron entries and scripts branch on them. */
export const ExitCode = {
  /** Every row succeeded or was already done. */
  ok: 0,
  /** Fatal: configuration, credentials, Redis unreachable, a fleet-wide Feishu refusal. */
  fatal: 1,
  /** Usage error, or `--strict` rejected the input. */
  usage: 2,
  /** Some rows were invalid or dead-lettered. */
  partial: 3,
} as const;
