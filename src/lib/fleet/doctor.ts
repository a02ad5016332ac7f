import { Cluster, type Redis } from 'ioredis';
import type { HireQueueConfig } from '../config';
import { classifyOutcome } from '../feishu/classify-outcome';
import { FeishuClient } from '../feishu/feishu-client';
import { ConfigError } from '../errors/config-error';
import { HireQueueError } from '../errors/hire-queue-error';
import { FeishuApiError } from '../feishu/feishu-api-error';
import { FleetFatalError } from '../errors/fleet-fatal-error';
import { NetworkError } from '../feishu/network-error';
import { localNowMs } from '../limiter/redis-clock';
import {
  assertRedisReachable,
  createRedis,
  describeTarget,
  type RedisClient,
} from '../redis/redis-connection';
import { redisKeys } from '../redis/redis-keys';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One finding of `hire-queue doctor`. */
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a `warn` or `fail`. */
  fix?: string;
}

/** BullMQ's scripts need this Redis version or later. */
const MIN_REDIS_VERSION = [6, 2, 0] as const;
/** An offset to Feishu's clock beyond this is worth a warning (its `Date` header counts whole seconds). */
const CLOCK_OFFSET_WARN_MS = 2_000;

/**
 * Everything that must hold before a night's batch: Redis (reachable, version, eviction policy,
 * persistence, the prefix's cluster slot), Feishu (this process's credentials, the scope, the
 * clock) and the limits as parsed. Never throws for what it finds.
 */
export async function runDoctor(config: HireQueueConfig): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  checks.push(...(await redisChecks(config)));
  const redisAnswered = checks.some((check) => check.name === 'redis' && check.status !== 'fail');
  checks.push(
    ...(redisAnswered
      ? await feishuChecks(config)
      : [
          {
            name: 'credentials',
            status: 'warn' as const,
            message: 'not checked: the token is fetched through Redis',
          },
        ]),
  );
  checks.push(limitsCheck(config));
  return checks;
}

/** Whether the checks allow a run: no `fail`. */
export const doctorPassed = (checks: readonly DoctorCheck[]): boolean =>
  checks.every((check) => check.status !== 'fail');

async function redisChecks(config: HireQueueConfig): Promise<DoctorCheck[]> {
  const where = describeTarget(config);
  try {
    await assertRedisReachable(config);
  } catch (error) {
    return [
      {
        name: 'redis',
        status: 'fail',
        message: messageOf(error),
        fix:
          error instanceof ConfigError
            ? 'correct the variable named'
            : 'start Redis, or point REDIS_URL (and REDIS_CLUSTER_NODES for a cluster) at it',
      },
    ];
  }
  const client = createRedis(config, { name: 'hire-queue-doctor', maxRetriesPerRequest: 1 });
  try {
    await client.ping(); // a cluster knows its masters once it has connected
    const masters: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
    const infos = await Promise.all(masters.map((node) => node.info()));
    const checks: DoctorCheck[] = [versionCheck(where, infos.map(infoOf))];
    checks.push(await evictionCheck(masters, infos.map(infoOf)));
    checks.push(memoryCheck(infos.map(infoOf)));
    checks.push(await persistenceCheck(masters, infos.map(infoOf)));
    checks.push(await slotCheck(config, client, infos.map(infoOf)));
    return checks;
  } catch (error) {
    return [{ name: 'redis', status: 'fail', message: `Redis at ${where}: ${messageOf(error)}` }];
  } finally {
    client.disconnect();
  }
}

function versionCheck(where: string, infos: Map<string, string>[]): DoctorCheck {
  const versions = infos.map((info) => info.get('redis_version') ?? '0.0.0');
  const oldest = versions.reduce((a, b) => (compareVersions(a, b) <= 0 ? a : b));
  const needed = MIN_REDIS_VERSION.join('.');
  return compareVersions(oldest, needed) >= 0
    ? { name: 'redis', status: 'ok', message: `Redis ${oldest} at ${where}` }
    : {
        name: 'redis',
        status: 'fail',
        message: `Redis ${oldest} at ${where}: BullMQ needs ${needed} or later`,
        fix: `upgrade Redis to ${needed} or later`,
      };
}

/** Above these shares of `maxmemory`, doctor warns, then fails: under noeviction a full Redis refuses every write. */
const MEMORY_WARN_SHARE = 0.8;
const MEMORY_FAIL_SHARE = 0.95;

function memoryCheck(infos: Map<string, string>[]): DoctorCheck {
  let fullest: { used: number; max: number } | undefined;
  for (const info of infos) {
    const used = Number(info.get('used_memory') ?? 0);
    const max = Number(info.get('maxmemory') ?? 0);
    if (max > 0 && (!fullest || used / max > fullest.used / fullest.max)) fullest = { used, max };
  }
  if (!fullest)
    return { name: 'memory', status: 'ok', message: 'no maxmemory set: Redis grows with the machine' };
  const share = fullest.used / fullest.max;
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
  const message = `${mb(fullest.used)} of maxmemory ${mb(fullest.max)} used (${Math.round(share * 100)}%)`;
  const fix =
    'free memory (hire-queue dlq purge, old batches expire after 30 days) or raise maxmemory; at 100% every write is refused';
  if (share > MEMORY_FAIL_SHARE) return { name: 'memory', status: 'fail', message, fix };
  if (share > MEMORY_WARN_SHARE) return { name: 'memory', status: 'warn', message, fix };
  return { name: 'memory', status: 'ok', message };
}

async function evictionCheck(masters: Redis[], infos: Map<string, string>[]): Promise<DoctorCheck> {
  const policies = await Promise.all(
    masters.map(
      async (node, i) => (await configGet(node, 'maxmemory-policy')) ?? infos[i]?.get('maxmemory_policy'),
    ),
  );
  const bad = policies.find((policy) => policy !== 'noeviction');
  if (bad === undefined) return { name: 'maxmemory-policy', status: 'ok', message: 'noeviction' };
  return {
    name: 'maxmemory-policy',
    status: 'fail',
    message: `${bad ?? 'unknown (CONFIG GET and INFO refused)'}: Redis may evict jobs, batches and the limiter's state when memory runs short`,
    fix: "set maxmemory-policy noeviction (redis.conf, or your provider's parameter group)",
  };
}

async function persistenceCheck(masters: Redis[], infos: Map<string, string>[]): Promise<DoctorCheck> {
  const kinds = await Promise.all(
    masters.map(async (node, i) => {
      const aof = infos[i]?.get('aof_enabled') === '1';
      const save = await configGet(node, 'save');
      return aof ? 'AOF' : save ? `RDB (save ${save})` : save === '' ? 'none' : 'unknown';
    }),
  );
  const none = kinds.find((kind) => kind === 'none');
  if (none === undefined)
    return { name: 'persistence', status: 'ok', message: [...new Set(kinds)].join(', ') };
  return {
    name: 'persistence',
    status: 'warn',
    message: 'neither AOF nor RDB: a Redis restart loses every queued job and batch',
    fix: 'turn on appendonly yes with appendfsync everysec (docker-compose.yml does)',
  };
}

async function slotCheck(
  config: HireQueueConfig,
  client: RedisClient,
  infos: Map<string, string>[],
): Promise<DoctorCheck> {
  const prefix = config.queuePrefix;
  const clusterServer = infos.some((info) => info.get('cluster_enabled') === '1');
  const keys = redisKeys(prefix);
  // A BullMQ key, a limiter key and a batch key: each family must share the prefix's slot.
  const samples = [`${prefix}:create:meta`, keys.limiter('app', 'create').margin, keys.batch('b').meta];
  if (client instanceof Cluster) {
    const slots = await Promise.all(samples.map((key) => client.cluster('KEYSLOT', key)));
    return new Set(slots).size === 1
      ? { name: 'cluster-slot', status: 'ok', message: `every key of ${prefix} lands in slot ${slots[0]}` }
      : {
          name: 'cluster-slot',
          status: 'fail',
          message: `the keys of ${prefix} span slots ${[...new Set(slots)].join(', ')}`,
          fix: 'use a prefix with a hash tag, e.g. HIRE_QUEUE_PREFIX={hire-queue}',
        };
  }
  if (clusterServer)
    return {
      name: 'cluster-slot',
      status: 'fail',
      message: 'Redis is a cluster node, but hire-queue is not in cluster mode',
      fix: 'set REDIS_CLUSTER_NODES=host:port,... to the cluster nodes',
    };
  const tagged = /\{[^}]+\}/.test(prefix);
  return tagged
    ? {
        name: 'cluster-slot',
        status: 'ok',
        message: `single Redis; ${prefix} holds a hash tag, ready for a cluster`,
      }
    : {
        name: 'cluster-slot',
        status: 'warn',
        message: `single Redis; ${prefix} has no hash tag, so it could not move to a Redis Cluster as it is`,
        fix: 'use a prefix with a hash tag, e.g. HIRE_QUEUE_PREFIX={hire-queue}',
      };
}

async function feishuChecks(config: HireQueueConfig): Promise<DoctorCheck[]> {
  const { appId, appSecret } = config;
  if (appId === undefined || appSecret === undefined) {
    const missing = [appId === undefined && 'FEISHU_APP_ID', appSecret === undefined && 'FEISHU_APP_SECRET'];
    return [
      {
        name: 'credentials',
        status: 'fail',
        message: `${missing.filter(Boolean).join(' and ')} not set`,
        fix: "set them to the app's App ID and App Secret (developer console, Credentials & Basic Info)",
      },
    ];
  }
  let client: FeishuClient | undefined;
  const redis = createRedis(config, { name: 'hire-queue-doctor-feishu', maxRetriesPerRequest: 1 });
  try {
    client = new FeishuClient({
      baseUrl: config.baseUrl,
      appId,
      appSecret,
      redis,
      keys: redisKeys(config.queuePrefix),
      timeoutMs: config.requestTimeoutMs,
    });
    try {
      await client.token.verify();
    } catch (error) {
      return [feishuFailure('credentials', 'token', error)];
    }
    const checks: DoctorCheck[] = [
      { name: 'credentials', status: 'ok', message: `a token fetched for ${appId} at ${config.baseUrl}` },
    ];
    const sentAt = localNowMs();
    try {
      const page = await client.listApplications({ page_size: 1 });
      const receivedAt = localNowMs();
      checks.push({
        name: 'scope',
        status: 'ok',
        message: 'a read of applications succeeded (hire:application)',
      });
      checks.push(clockCheck(page.serverDateMs, sentAt, receivedAt));
    } catch (error) {
      checks.push(feishuFailure('scope', 'read', error));
    }
    return checks;
  } finally {
    client?.close();
    redis.disconnect();
  }
}

function clockCheck(serverDateMs: number | undefined, sentAt: number, receivedAt: number): DoctorCheck {
  if (serverDateMs === undefined)
    return {
      name: 'clock',
      status: 'warn',
      message: "Feishu's answer carried no Date header",
      fix: 'none needed',
    };
  // The header counts whole seconds: the server's time lies within the second it names.
  const offsetMs = serverDateMs + 500 - (sentAt + receivedAt) / 2;
  const seconds = (offsetMs / 1000).toFixed(1);
  return Math.abs(offsetMs) <= CLOCK_OFFSET_WARN_MS
    ? { name: 'clock', status: 'ok', message: `${seconds} s from Feishu's Date header` }
    : {
        name: 'clock',
        status: 'warn',
        message: `${seconds} s off Feishu's Date header: --if-not-updated-since and stale cut-offs from this machine are off by that much`,
        fix: 'synchronise this machine with NTP (timedatectl set-ntp true)',
      };
}

function feishuFailure(name: string, operation: 'token' | 'read', error: unknown): DoctorCheck {
  if (error instanceof FleetFatalError)
    return { name, status: 'fail', message: error.detail, fix: error.fix };
  if (!(error instanceof FeishuApiError || error instanceof NetworkError))
    return { name, status: 'fail', message: messageOf(error) };
  const classification = classifyOutcome(operation, error);
  return {
    name,
    status: 'fail',
    message: `${classification.code} ${classification.message}`,
    ...(classification.fix ? { fix: classification.fix } : {}),
  };
}

function limitsCheck(config: HireQueueConfig): DoctorCheck {
  const caps = (name: string, limits: HireQueueConfig['createLimits']) =>
    `${name} ${limits.map((l) => `${l.limit}/${l.windowMs} ms`).join(' + ') || 'unlimited'}`;
  const { mode, floorMs, ceilingMs } = config.limiterMargin;
  const margin =
    mode === 'fixed' ? `margin fixed at ${floorMs} ms` : `margin learned within ${floorMs}–${ceilingMs} ms`;
  return {
    name: 'limits',
    status: 'ok',
    message: `${caps('create', config.createLimits)}; ${caps('terminate', config.terminateLimits)}; ${caps('read', config.readLimits)}; ${margin}`,
  };
}

async function configGet(node: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await node.config('GET', name)) as string[];
    return reply[1];
  } catch {
    // Managed Redis often refuses CONFIG.
    return undefined;
  }
}

function infoOf(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function messageOf(error: unknown): string {
  return error instanceof HireQueueError || error instanceof Error ? error.message : String(error);
}
