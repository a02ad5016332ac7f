import { join } from 'node:path';
import { startTypeScript, type StartedProcess } from './processes';

interface Running<T> {
  process: StartedProcess;
  ready: Promise<void>;
  result: Promise<T>;
}

function start<T>(script: string, env: Record<string, string | undefined>, args: string[]): Running<T> {
  const started = startTypeScript(join(__dirname, '..', 'children', script), args, { env, ipc: true });
  const ready = new Promise<void>((resolve) =>
    started.child.on('message', (m) => m === 'ready' && resolve()),
  );
  const result = started.exited.then(({ code }) => {
    const out = started.stdout();
    const last = out.trim().split('\n').pop() ?? '';
    if (code !== 0) throw new Error(`${script} exited ${code}: ${started.stderr() || out}`);
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new Error(`${script} printed no JSON: ${out} ${started.stderr()}`);
    }
  });
  return { process: started, ready, result };
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
  for (const r of running) if (r.process.child.connected) r.process.child.send('go');
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
