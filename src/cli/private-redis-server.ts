import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { RedisUnavailableError } from '../lib/errors/redis-unavailable-error';

/** A TCP port free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway redis-server (no persistence) on a free port, for the demo. */
export async function startPrivateRedisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    throw unavailable((error as Error).message);
  }
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.once('error', (error) => reject(unavailable(error.message)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(unavailable(`redis-server exited with ${code}: ${out.slice(-300)}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function unavailable(detail: string): RedisUnavailableError {
  return new RedisUnavailableError(
    `the demo needs Redis: set REDIS_URL=redis://host:6379, or install redis-server (apt-get install redis-server) so the demo can start its own (${detail})`,
  );
}
