/** A command ended by a signal exits as shells report it: 128 + the signal's number. */
export const signalExitCode: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** How long a graceful stop may take before the process exits anyway. @default 14_000 */
const GRACE_MS = 14_000;

export interface ShutdownWatch {
  /** Aborted on the first SIGINT or SIGTERM; its reason is the signal's name. */
  signal: AbortSignal;
  /** The exit code for the signal received, once one was. */
  exitCode(): number | undefined;
  dispose(): void;
}

/**
 * The first SIGINT or SIGTERM asks for a graceful stop (calls in flight finish, the rest is
 * released); a second SIGINT, or the grace period running out, exits at once.
 */
export function watchShutdown(
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): ShutdownWatch {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (received) {
      if (signal === 'SIGINT') {
        say('hire-queue: second interrupt, exiting now');
        process.exit(signalExitCode[received]);
      }
      return;
    }
    received = signal;
    say(`hire-queue: ${signal}: finishing calls in flight and releasing the rest (Ctrl-C again to exit now)`);
    setTimeout(() => process.exit(signalExitCode[signal]), GRACE_MS).unref();
    controller.abort(signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    exitCode: () => (received ? signalExitCode[received] : undefined),
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
