import type { Command } from 'commander';
import { loadConfig, type ConfigSource, type HireQueueConfig } from '../lib/config';
import {
  connectQueueRuntime,
  connectRuntime,
  type HireRuntime,
  type QueueRuntime,
} from '../lib/runtime/hire-runtime';
import { fleetHealth } from '../lib/fleet/fleet-health';
import { startMetricsServer } from '../lib/fleet/metrics-server';
import { parsePort } from './option-parsers';

/** Flags that override the environment, on every command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--redis-url <url>', 'Redis to use (env REDIS_URL)')
    .option('--prefix <prefix>', 'key prefix of queues and state (env HIRE_QUEUE_PREFIX)')
    .option('--base-url <url>', 'Feishu base URL, e.g. a sandbox (env FEISHU_BASE_URL)')
    .option('--domain <domain>', 'feishu or lark (env FEISHU_DOMAIN)')
    .option(
      '--app-id <id>',
      'Feishu App ID (env FEISHU_APP_ID; the secret only comes from FEISHU_APP_SECRET)',
    );
}

/** `--metrics-port`, for the commands that run workers. */
export function addMetricsOption(command: Command): Command {
  return command.option(
    '--metrics-port <n>',
    'serve /metrics and /healthz on this port (env HIRE_METRICS_PORT)',
    parsePort,
  );
}

export interface ConnectionFlags {
  metricsPort?: number;
  notifyWebhook?: string;
  redisUrl?: string;
  prefix?: string;
  baseUrl?: string;
  domain?: string;
  appId?: string;
}

/** The configuration: environment, with flags laid over it, validated once. */
export function configFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): HireQueueConfig {
  const source: ConfigSource = { ...env };
  if (flags.redisUrl) source.REDIS_URL = flags.redisUrl;
  if (flags.prefix) source.HIRE_QUEUE_PREFIX = flags.prefix;
  if (flags.baseUrl) source.FEISHU_BASE_URL = flags.baseUrl;
  if (flags.domain) source.FEISHU_DOMAIN = flags.domain;
  if (flags.appId) source.FEISHU_APP_ID = flags.appId;
  if (flags.metricsPort !== undefined) source.HIRE_METRICS_PORT = String(flags.metricsPort);
  if (flags.notifyWebhook) source.HIRE_NOTIFY_WEBHOOK = flags.notifyWebhook;
  return loadConfig(source);
}

/**
 * Starts /metrics and /healthz when a port is configured, before anything else is done: a port
 * that is taken stops the command before a row is enqueued or a job taken.
 */
export async function startMetricsFor(
  ctx: QueueContext,
  stoppedBecause: () => string | undefined,
): Promise<{ close(): Promise<void> } | undefined> {
  const port = ctx.config.metricsPort;
  if (port === undefined) return undefined;
  const server = await startMetricsServer({
    metrics: ctx.metrics.withProcessMetrics(),
    health: () => fleetHealth(ctx, stoppedBecause),
    port,
  });
  process.stderr.write(`hire-queue: metrics on ${server.url}/metrics, health on ${server.url}/healthz\n`);
  return server;
}

/** What commands that only read or write queues need (no Feishu credentials). */
export type QueueContext = QueueRuntime;

export function openQueueContext(config: HireQueueConfig): Promise<QueueContext> {
  return connectQueueRuntime(config, 'hire-queue-cli');
}

/** Queues plus the Feishu client: for commands that call Feishu. */
export type FeishuContext = HireRuntime;

export function openFeishuContext(config: HireQueueConfig): Promise<FeishuContext> {
  return connectRuntime(config, 'hire-queue-cli');
}
