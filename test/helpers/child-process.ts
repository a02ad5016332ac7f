import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

interface Running<T> {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<T>;
}

function start<T>(script: string, env: Record<string, string | undefined>, args: string[]): Running<T> {
  const child = fork(join(__dirname, '..', 'children', script), args, {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve) => child.on('message', (m) => m === 'ready' && resolve()));
  const result = new Promise<T>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err || out}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON: ${out} ${err}`));
      }
    });
  });
  return { child, ready, result };
}

/**
 * Runs `count` copies of a script under test/children, each in its own Node process. Each warms up
 * (connects, fetches what it needs), says `ready`; all start together on `go`. Resolves with each
 * one's last JSON line.
 */
export async function runChildren<T>(
  count: number,
  script: string,
  env: Record<string, string | undefined>,
  args: string[] = [],
): Promise<T[]> {
  const running = Array.from({ length: count }, () => start<T>(script, env, args));
  const failedEarly = Promise.race(running.map((r) => r.result.then(() => undefined)));
  await Promise.race([Promise.all(running.map((r) => r.ready)), failedEarly]);
  for (const r of running) if (r.child.connected) r.child.send('go');
  return Promise.all(running.map((r) => r.result));
}

/** In a child: says `ready` and resolves when the parent says `go`. */
export function readyThenGo(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', (m) => {
      if (m === 'go') {
        process.disconnect?.();
        resolve();
      }
    });
    process.send?.('ready');
  });
}
