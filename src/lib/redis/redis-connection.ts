import { databaseOf } from './redis-url';
import { readFileSync } from 'node:fs';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors/config-error';
import { RedisUnavailableError } from '../errors/redis-unavailable-error';

/** One Redis, or a Redis Cluster: hire-queue and BullMQ use either the same way. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: what the config reads from `REDIS_URL`, `REDIS_CLUSTER_NODES`, `REDIS_TLS_CA`. */
export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. In cluster mode only its user, password and scheme count. */
  redisUrl: string;
  /** `host:port` of some cluster nodes: cluster mode. */
  redisClusterNodes?: readonly string[] | undefined;
  /** A PEM file (or the PEM itself) of the CA that signed Redis's certificate, for a private CA. */
  redisTlsCa?: string | undefined;
}

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`. */
  name: string;
  /**
   * null: a command waits through a reconnect instead of failing (what BullMQ workers need).
   * @default null
   */
  maxRetriesPerRequest?: number | null;
}

/** The options hire-queue sets on each connection. */
type NodeOptions = Pick<
  RedisOptions,
  | 'username'
  | 'password'
  | 'tls'
  | 'connectionName'
  | 'maxRetriesPerRequest'
  | 'lazyConnect'
  | 'connectTimeout'
>;

/** The capped backoff (up to 2 s) with which connections wait Redis out. */
const reconnectDelayMs = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/** A connection that reconnects with a capped backoff, so workers wait Redis out. */
export function createRedis(target: RedisTarget, options: RedisConnectionOptions): RedisClient {
  const common: NodeOptions = {
    ...nodeOptionsOf(target),
    connectionName: options.name,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
  };
  const client = target.redisClusterNodes?.length
    ? new Cluster(target.redisClusterNodes.map(parseNode), {
        redisOptions: common,
        clusterRetryStrategy: reconnectDelayMs,
      })
    : new Redis(target.redisUrl, { ...common, retryStrategy: reconnectDelayMs, lazyConnect: false });
  // Outages surface through the commands that wait on them; the event itself needs no handling.
  client.on('error', () => undefined);
  return client;
}

/** Fails fast with a clear message when Redis does not answer at start. */
export async function assertRedisReachable(target: RedisTarget, timeoutMs = 3000): Promise<void> {
  const nodeOptions: NodeOptions = {
    ...nodeOptionsOf(target),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
  };
  const probe = target.redisClusterNodes?.length
    ? new Cluster(target.redisClusterNodes.map(parseNode), {
        redisOptions: nodeOptions,
        lazyConnect: true,
        clusterRetryStrategy: () => null,
      })
    : new Redis(target.redisUrl, { ...nodeOptions, retryStrategy: () => null });
  // The connection's own error says why (a certificate, a password); the command's only that it closed.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await withTimeout(
      probe.connect().then(() => probe.ping()),
      timeoutMs,
    );
    // ioredis selects the URL's database as it connects, and goes on in database 0 if Redis refuses.
    const db = target.redisClusterNodes?.length ? 0 : (databaseOf(target.redisUrl) ?? 0);
    if (db > 0 && probe instanceof Redis) {
      const refused = await probe.select(db).then(
        () => undefined,
        (error: Error) => error,
      );
      if (refused)
        throw new ConfigError(
          `REDIS_URL names database ${db}, which Redis at ${describeTarget(target)} refuses (${refused.message}); name one it has, e.g. redis://host:6379/0`,
        );
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new RedisUnavailableError(
      `Redis at ${describeTarget(target)} did not answer (${(cause ?? (error as Error)).message}); start it or set REDIS_URL${target.redisClusterNodes?.length ? ' / REDIS_CLUSTER_NODES' : ''}`,
    );
  } finally {
    probe.disconnect();
  }
}

/** Where Redis is, without its password, for messages. */
export function describeTarget(target: RedisTarget): string {
  return target.redisClusterNodes?.length
    ? `cluster ${target.redisClusterNodes.join(',')}`
    : redactUrl(target.redisUrl);
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** The URL's credentials and TLS, which every node of a cluster shares. */
function nodeOptionsOf(target: RedisTarget): NodeOptions {
  const url = new URL(target.redisUrl);
  const options: NodeOptions = {};
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') options.tls = target.redisTlsCa ? { ca: readCa(target.redisTlsCa) } : {};
  return options;
}

function readCa(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `REDIS_TLS_CA: cannot read ${value} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

function parseNode(node: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(node.trim());
  if (!match) throw new ConfigError(`REDIS_CLUSTER_NODES: "${node}" is not host:port`);
  return { host: match[1]!, port: Number(match[2]) };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
