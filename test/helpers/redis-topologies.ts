import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { freePort } from '../../src/cli/private-redis-server';
import { startProcess, type StartedProcess } from './processes';
import { track } from './resources';

/** Why a topology test cannot run here, or undefined when it can. */
export function missingRedisServer(): string | undefined {
  const probe = spawnSync('redis-server', ['--version']);
  return probe.error ? 'redis-server is not installed (apt-get install redis-server)' : undefined;
}

async function startServer(args: string[], dir: string): Promise<StartedProcess> {
  const server = startProcess('redis-server', [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...args,
  ]);
  await server.waitForOutput('Ready to accept connections');
  return server;
}

/** A CA of the test's own, and a certificate it signed for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('genrsa', '-out', 'ca.key', '2048');
  openssl(
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '1',
    '-subj',
    '/CN=hire-queue test CA',
    '-out',
    'ca.crt',
  );
  openssl('genrsa', '-out', 'redis.key', '2048');
  openssl('req', '-new', '-key', 'redis.key', '-subj', '/CN=127.0.0.1', '-out', 'redis.csr');
  writeFileSync(file('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'redis.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'redis.crt',
    '-days',
    '1',
    '-sha256',
    '-extfile',
    'san.cnf',
  );
  return { ca: file('ca.crt'), cert: file('redis.crt'), key: file('redis.key') };
}

export interface TlsRedis {
  /** `rediss://user:password@127.0.0.1:port`. */
  url: string;
  port: number;
  /** The PEM file of the private CA that signed the server's certificate. */
  caFile: string;
  password: string;
  stop(): Promise<void>;
}

/** A redis-server that speaks only TLS (certificate from a private CA) and wants an ACL user's password. */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'hq-tls-'));
  const { ca, cert, key } = makeCertificates(dir);
  const port = await freePort();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const server = await startServer(
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-ca-cert-file',
      ca,
      '--tls-auth-clients',
      'no',
      '--user',
      'default',
      'off',
      '--user',
      'hq',
      'on',
      `>${password}`,
      '~*',
      '&*',
      '+@all',
    ],
    dir,
  );
  const stop = track('tls redis-server', async () => void (await server.stop('SIGTERM')));
  return { url: `rediss://hq:${password}@127.0.0.1:${port}`, port, caFile: ca, password, stop };
}

export interface RedisCluster {
  /** `host:port` of each master, for REDIS_CLUSTER_NODES. */
  nodes: string[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` nodes of this test's own: each started with
 * `--cluster-enabled yes`, joined with `redis-cli --cluster create`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'hq-cluster-'));
  const servers: StartedProcess[] = [];
  const nodes: string[] = [];
  const stop = track('redis cluster', async () => {
    await Promise.all(servers.map((server) => server.stop('SIGTERM')));
  });
  for (let i = 0; i < masters; i++) {
    const [port, busPort] = [await freePort(), await freePort()];
    servers.push(
      await startServer(
        [
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
        ],
        dir,
      ),
    );
    nodes.push(`127.0.0.1:${port}`);
  }
  const create = startProcess('redis-cli', [
    '--cluster',
    'create',
    ...nodes,
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  const { code } = await create.exited;
  if (code !== 0)
    throw new Error(`redis-cli --cluster create exited ${code}: ${create.stdout()}${create.stderr()}`);
  await waitForClusterServing(nodes);
  return { nodes, stop };
}

/**
 * Resolves once a cluster client has the slot map and a write has been served. A node still
 * settling answers CLUSTERDOWN, which ioredis retries on its own; the write's reply is the event.
 */
async function waitForClusterServing(nodes: string[]): Promise<void> {
  const client = new Cluster(nodes.map(parseNode), { retryDelayOnClusterDown: 50 });
  client.on('error', () => undefined);
  try {
    await client.set('{hq-cluster-probe}', '1', 'PX', 1000);
  } finally {
    client.disconnect();
  }
}

function parseNode(node: string): { host: string; port: number } {
  const [host, port] = node.split(':') as [string, string];
  return { host, port: Number(port) };
}
