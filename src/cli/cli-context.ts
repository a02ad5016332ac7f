import type { Command } from 'commander';
import { loadConfig, type ConfigSource, type HireQueueConfig } from '../lib/config';
import {
  connectQueueRuntime,
  connectRuntime,
  type HireRuntime,
  type QueueRuntime,
} from '../lib/hire-runtime';

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

export interface ConnectionFlags {
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
  return loadConfig(source);
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
