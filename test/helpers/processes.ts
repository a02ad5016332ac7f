import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { track } from './resources';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr shows `pattern`; rejects if the process exits first. */
  waitForOutput(pattern: string | RegExp): Promise<void>;
  exited: Promise<Exit>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface StartOptions {
  /** Laid over this process's environment; `undefined` unsets a variable. */
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed. Without it stdin is closed at once. */
  stdin?: string;
  /** Open an IPC channel (`process.send` in the child). @default false */
  ipc?: boolean;
}

/**
 * The one way tests start a process: output captured, exit awaited as an event, and the resource
 * guard kills it (SIGKILL) if the test leaves it running.
 */
export function startProcess(command: string, args: string[], options: StartOptions = {}): StartedProcess {
  const env = Object.fromEntries(
    Object.entries({ ...process.env, ...options.env }).filter(([, v]) => v !== undefined),
  );
  const child = spawn(command, args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const onData = () => watchers.forEach((check) => check());
  child.stdout?.on('data', (d: Buffer) => ((stdout += d.toString()), onData()));
  child.stderr?.on('data', (d: Buffer) => ((stderr += d.toString()), onData()));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const release = track(`${command} ${args.slice(0, 3).join(' ')}`, async () => {
    if (running()) child.kill('SIGKILL');
    await exited.catch(() => undefined);
  });
  void exited.finally(release).catch(() => undefined);
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          const seen = `${stdout}${stderr}`;
          if (typeof pattern === 'string' ? seen.includes(pattern) : pattern.test(seen)) {
            watchers.delete(check);
            resolve();
          }
        };
        watchers.add(check);
        check();
        void exited.then((exit) => {
          if (watchers.delete(check))
            reject(
              new Error(`${command} exited ${JSON.stringify(exit)} before ${String(pattern)}: ${stderr}`),
            );
        });
      }),
    stop: async (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
      return exited;
    },
  };
}

/** A TypeScript file of this repository, run by Node through tsx as a user's `npx tsx` would. */
export function startTypeScript(
  path: string,
  args: string[] = [],
  options: StartOptions = {},
): StartedProcess {
  return startProcess(process.execPath, ['--import', 'tsx', path, ...args], options);
}

/** `hire-queue ARGS`, run from source. */
export function startCli(args: string[], options: StartOptions = {}): StartedProcess {
  return startTypeScript(join(__dirname, '..', 'children', 'cli.ts'), args, {
    ...options,
    env: { LOG_LEVEL: 'warn', ...options.env },
  });
}
