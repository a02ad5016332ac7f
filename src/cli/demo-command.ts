import type { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../lib/config';
import { Redis } from 'ioredis';
import { createRedis } from '../lib/redis/redis-connection';
import { createLogger } from '../lib/logger';
import { newBatchId } from '../lib/batches/batch-id';
import { enqueueBatch } from '../lib/batches/enqueue-batch';
import { acceptedRows, findStaleApplicationIds, terminateInputs } from '../producers/stale-applications';
import { generatedIds, type HireState } from '../sandbox/hire-state';
import { SANDBOX_APP } from '../sandbox/sandbox-config';
import { startSandbox } from '../sandbox/sandbox-server';
import { startWorkers } from '../workers/hire-worker';
import { watchBatch } from './batch-progress';
import { openFeishuContext } from './cli-context';
import { ExitCode } from './exit-codes';
import { startPrivateRedisServer } from './private-redis-server';
import { reportBatch } from './report-batch';
import { runBatch } from './run-command';
import { watchShutdown } from './shutdown';
import { runConsoleDemo } from './console-demo';
import { parsePort } from './option-parsers';

const say = (line = '') => process.stderr.write(`${line}\n`);

/** A nightly-sync style file: new applications, some duplicates of active ones, some bad rows. */
function writeSyncFile(dir: string, state: HireState): string {
  const job = generatedIds.job(1);
  const busy = new Set(
    [...state.applications.values()]
      .filter((a) => a.active_status === 1 && a.job_id === job)
      .map((a) => a.talent_id),
  );
  const free = [...state.talents.keys()].filter((t) => !busy.has(t));
  const lines = ['talent_id,job_id,resume_source_id,application_preferred_city_code_list,delivery_type'];
  for (const talent of free.slice(0, 150))
    lines.push(`${talent},${job},${generatedIds.resumeSource.normal},CN_1|CN_2,1`);
  for (const talent of [...busy].slice(0, 8)) lines.push(`${talent},${job},,,2`); // already applied: 1002206
  lines.push(`6999999999999999999,${job},,,1`); // no such talent: 1002102
  lines.push(`${free[151]},${job},7115289562569599999,,1`); // no such resume source: 1002512
  lines.push(`${free[152]},,,,1`); // bad row: job_id missing
  lines.push(`${free[153]},${job},,,9`); // bad row: delivery_type outside 1|2
  const path = join(dir, 'nightly-sync.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export async function runDemo(): Promise<number> {
  const started = Date.now();
  say('hire-queue demo: a Feishu Hire sandbox in this process, real queues and workers in Redis.\n');
  const sandbox = await startSandbox({
    config: {
      generate: { talents: 400, jobs: 3, employees: 20, applications: 120, maxAgeDays: 90 },
      // A little weather: transient errors and calls that succeed but answer 1002001.
      faults: {
        create: { errorBeforeEffect: 0.03, errorAfterEffect: 0.03 },
        terminate: { errorAfterEffect: 0.03 },
      },
    },
  });
  const privateRedis = process.env.REDIS_URL
    ? undefined
    : await startPrivateRedisServer().catch(async (error: unknown) => {
        await sandbox.close();
        throw error;
      });
  const redisUrl = process.env.REDIS_URL ?? privateRedis!.url;
  // A prefix given is the user's: what the demo writes stays there to look at. Without one, the demo
  // writes under a prefix of its own and deletes it at the end.
  const ownPrefix = !process.env.HIRE_QUEUE_PREFIX;
  const prefix = process.env.HIRE_QUEUE_PREFIX || `{hire-queue-demo-${Date.now().toString(36)}}`;
  const env = {
    ...process.env,
    FEISHU_BASE_URL: sandbox.url,
    FEISHU_APP_ID: SANDBOX_APP.appId,
    FEISHU_APP_SECRET: SANDBOX_APP.appSecret,
    REDIS_URL: redisUrl,
    HIRE_QUEUE_PREFIX: prefix,
  };
  say(
    `sandbox ${sandbox.url} · Redis ${privateRedis ? `private redis-server at ${redisUrl}` : 'from REDIS_URL'} · prefix ${prefix}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'hire-queue-demo-'));
  // Held for the whole demo (each step also watches its own): a signal between steps ends it
  // here too, cleaned up, rather than killing it with its keys left behind.
  const shutdown = watchShutdown(() => undefined);
  try {
    say('1) Nightly sync: create applications from a CSV (with duplicates and bad rows)');
    const file = writeSyncFile(dir, sandbox.state);
    say(`   hire-queue run create --file ${file}\n`);
    const createExit = await runBatch(
      'create',
      { file, batch: newBatchId('demo-create'), results: join(dir, 'results.csv') },
      env,
    );
    // Stopped by Ctrl-C or SIGTERM: the demo ends here, cleaning up after itself.
    if (createExit >= 128) return createExit;
    if (shutdown.exitCode() !== undefined) return shutdown.exitCode()!;
    say(`   exit code ${createExit} (3: some rows invalid or dead-lettered)\n`);

    say("2) Close-out: terminate job 1's active applications not updated for 30 days");
    const jobId = generatedIds.job(1);
    say(
      `   hire-queue enqueue stale --job-id ${jobId} --older-than 30d --termination-type 1 --yes; hire-queue work\n`,
    );
    const ctx = await openFeishuContext(loadConfig(env));
    try {
      const { ids, cutoffMs } = await findStaleApplicationIds(ctx.client, {
        jobId,
        olderThanMs: 30 * 86_400_000,
      });
      say(`   found ${ids.length} stale application(s)`);
      const batchId = newBatchId('demo-close');
      const inputs = terminateInputs(ids, 1, ['7230753910687080002'], 'hiring round closed', cutoffMs, jobId);
      await enqueueBatch(
        ctx,
        { batchId, operation: 'terminate', source: `stale applications of job ${jobId}` },
        acceptedRows(inputs),
      );
      const workers = await startWorkers({
        runtime: ctx,
        operations: ['terminate'],
        logger: createLogger('hire-queue', { level: 'warn' }),
      });
      try {
        await watchBatch(ctx, batchId, { label: `terminate ${batchId}`, signal: shutdown.signal });
      } finally {
        await workers.close();
      }
      const interrupted = shutdown.exitCode();
      if (interrupted !== undefined) return interrupted;
      await reportBatch(ctx, batchId, { json: false });
    } finally {
      await ctx.close();
    }
    const stats = sandbox.stats();
    say(
      `\nSandbox saw: ${stats.endpoints.create.calls} create calls, ${stats.endpoints.terminate.calls} terminate calls, ${stats.endpoints.create.http429 + stats.endpoints.terminate.http429} rate-limit rejections.`,
    );
    say(
      privateRedis
        ? 'Dead letters above lived in a private Redis that stops with the demo; against your Redis: hire-queue dlq list --batch <id>'
        : ownPrefix
          ? `The demo's keys under ${prefix} are deleted; set HIRE_QUEUE_PREFIX to keep them and look around.`
          : `Its batches and dead letters stay under prefix ${prefix}: hire-queue batch, hire-queue dlq list`,
    );
    say(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return ExitCode.ok;
  } finally {
    shutdown.dispose();
    rmSync(dir, { recursive: true, force: true });
    if (!privateRedis && ownPrefix) await deletePrefix(redisUrl, prefix);
    await sandbox.close();
    await privateRedis?.stop();
  }
}

/** Deletes every key under `prefix` (the demo's own, on the user's Redis). */
async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(
    loadConfig({ REDIS_URL: redisUrl, FEISHU_APP_ID: 'demo', FEISHU_APP_SECRET: 'demo' }),
    {
      name: 'hire-queue-demo-cleanup',
    },
  );
  try {
    if (!(redis instanceof Redis)) return;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
    for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'a realistic session against the bundled sandbox: nightly-sync creates, then a stale close-out',
    )
    .option('--console', 'instead: the sandbox, a private Redis, workers and the web console, until Ctrl-C')
    .option('--port <n>', 'with --console: the port the console listens on', parsePort, 3100)
    .action(async (flags: { console?: boolean; port: number }) => {
      process.exitCode = flags.console ? await runConsoleDemo(flags.port) : await runDemo();
    });
}
