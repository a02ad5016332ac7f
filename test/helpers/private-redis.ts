import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/cli/private-redis-server';
import { startProcess, type StartedProcess } from './processes';

/** A redis-server of this test's own, persisting every write (AOF, fsync always) unless asked not to, restartable. */
export class PrivateRedis {
  private process: StartedProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'hq-redis-'));

  private constructor(
    readonly port: number,
    private readonly persist: boolean,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * `persist: false` keeps nothing on disk: a restart comes back empty, as a cache-only Redis does.
   * `args` are more redis-server options.
   */
  static async start(options: { persist?: boolean; args?: string[] } = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options.persist ?? true, options.args ?? []);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = startProcess('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...(this.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--dir',
      this.dir,
      ...this.extraArgs,
    ]);
    this.process = server;
    await server.waitForOutput('Ready to accept connections');
  }

  /** Stops it (SIGTERM: it flushes its append-only file first) and resolves when it has exited. */
  async stop(): Promise<void> {
    const server = this.process;
    this.process = undefined;
    await server?.stop('SIGTERM');
  }
}
