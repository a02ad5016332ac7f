import { isRedisFull, RedisFullError } from '../lib/errors/redis-full-error';
import { Command, CommanderError } from 'commander';
import { describeFailure, ExitCode, isHireQueueError } from './exit-codes';
import { registerBatchCommand } from './batch-command';
import { registerConsoleCommand } from './console-command';
import { registerDashboardCommand } from './dashboard-command';
import { registerDemoCommand } from './demo-command';
import { registerLedgerCommand } from './ledger-command';
import { registerDlqCommand } from './dlq-command';
import { registerDoctorCommand } from './doctor-command';
import { registerEnqueueCommand } from './enqueue-command';
import { registerRunCommand } from './run-command';
import { registerSandboxCommand } from './sandbox-command';
import { registerStatusCommand } from './status-command';
import { version } from './version';
import { registerWorkCommand } from './work-command';

export function buildProgram(): Command {
  const program = new Command('hire-queue')
    .description(
      'Push thousands of Feishu Hire application changes safely: queues, workers, fleet-wide rate limits.',
    )
    .version(version, '-V, --version', "print hire-queue's version")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDemoCommand(program);
  registerRunCommand(program);
  registerEnqueueCommand(program);
  registerWorkCommand(program);
  registerBatchCommand(program);
  registerDlqCommand(program);
  registerLedgerCommand(program);
  registerStatusCommand(program);
  registerDoctorCommand(program);
  registerDashboardCommand(program);
  registerConsoleCommand(program);
  registerSandboxCommand(program);
  const overrideAll = (command: Command) => {
    command.exitOverride();
    command.showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(overrideAll);
  };
  overrideAll(program);
  return program;
}

/** Runs the command line; mistakes of input or configuration end in a message, never a stack trace. */
export async function main(argv: string[]): Promise<void> {
  // Output piped into `head` and closed early: stop quietly, as other command-line tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    process.exitCode ??= ExitCode.ok;
  } catch (error) {
    // With --json a script reads stdout: it gets one object saying what failed, never nothing.
    const json = argv.includes('--json');
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      if (json && error.exitCode !== 0)
        process.stdout.write(
          `${JSON.stringify({ error: { code: 'USAGE', message: error.message.replace(/^error: /, '') } })}\n`,
        );
      return;
    }
    const fail = (code: string, message: string, exitCode: number) => {
      console.error(`hire-queue: ${message}`);
      if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
      process.exitCode = exitCode;
    };
    if (isHireQueueError(error)) {
      const { exitCode, message } = describeFailure(error);
      return fail(error.code, message, exitCode);
    }
    if (isRedisFull(error)) {
      const full = new RedisFullError((error as Error).message);
      return fail(full.code, full.message, ExitCode.fatal);
    }
    console.error(`hire-queue: unexpected error: ${(error as Error).stack ?? String(error)}`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: 'UNEXPECTED', message: (error as Error).message ?? String(error) } })}\n`,
      );
    process.exitCode = ExitCode.fatal;
  }
}
