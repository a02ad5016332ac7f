// npm run chaos (npm run chaos:short in CI) — a batch of creates and terminates against the sandbox
// with faults on, while workers are killed with SIGKILL, Redis (AOF) restarts, the sandbox's process
// restarts with its state kept, and tokens expire. Then it counts what went wrong. Exit 0 only when
// every goal is 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { buildBatchReport, type ResultRow } from '../src/lib/batches/batch-report';
import { freePort } from '../src/cli/private-redis-server';
import { loadConfig } from '../src/lib/config';
import { createQueueRuntime } from '../src/lib/runtime/hire-runtime';
import { generatedIds } from '../src/sandbox/hire-state';
import type { Fixture } from '../src/sandbox/sandbox-config';
import type { SandboxStats } from '../src/sandbox/sandbox-server';
import { sandboxEnv } from './sandbox-env';

const short = process.argv.includes('--short');
const plan = short
  ? { rowsPerOperation: 100, workers: 2, killEveryMs: 0, kills: 1, redisRestarts: 1, sandboxRestarts: 0 }
  : {
      rowsPerOperation: 1000,
      workers: 3,
      killEveryMs: 5000,
      kills: Infinity,
      redisRestarts: 2,
      sandboxRestarts: 1,
    };
const N = Number(process.env.CHAOS_ROWS ?? plan.rowsPerOperation);
const bin = join(__dirname, '..', '..', 'bin', 'hire-queue.js');
const JOB = generatedIds.job(1);
const faults = {
  errorBeforeEffect: 0.2,
  errorAfterEffect: 0.02,
  dropBeforeEffect: 0.01,
  dropAfterEffect: 0.01,
  slowAnswer: 0.01,
  slowAnswerDelayMs: 3000, // past FEISHU_TIMEOUT_MS below: the client gives up, the effect stays
  latencyMs: 5,
  jitterMs: 20,
};
// The sandbox allows terminate 15/s while hire-queue believes 20/s: every terminate 429 is forced.
const FORCED_TERMINATE_LIMIT = 15;

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout?.on('data', () => undefined);
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'hq-chaos-'));
  const redisPort = await freePort();
  const sandboxPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;

  // Redis as production should run it: every write on disk before it is acknowledged.
  const startRedis = async () => {
    const redis = start('redis-server', [
      ...['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    ]);
    await waitFor(() => fetchRedisPing(redisPort), 'redis');
    return redis;
  };
  let redis = await startRedis();

  // The tenant: N talents to create applications for, N active applications to terminate.
  const state = join(dir, 'sandbox-state.json');
  const fixture: Fixture = {
    talents: Array.from({ length: 2 * N }, (_, i) => ({ id: generatedIds.talent(i + 1) })),
    jobs: [{ id: JOB, stages: [{ id: 'stage-1', zh_name: '简历筛选', en_name: 'Screening', type: 1 }] }],
    resumeSources: [],
    employees: [],
    terminationReasons: [],
    applications: Array.from({ length: N }, (_, i) => ({
      id: generatedIds.application(900_000 + i),
      job_id: JOB,
      talent_id: generatedIds.talent(N + i + 1),
      active_status: 1 as const,
      create_time: Date.now() - 40 * 86_400_000,
      modify_time: Date.now() - 35 * 86_400_000,
    })),
  };
  writeFileSync(state, JSON.stringify(fixture));
  const sandboxConfig = join(dir, 'sandbox.json');
  writeFileSync(
    sandboxConfig,
    JSON.stringify({
      fixture: state,
      faults: { create: faults, terminate: faults },
      limits: { terminate: `${FORCED_TERMINATE_LIMIT}/s` },
    }),
  );
  const startSandboxProcess = async () => {
    const sandbox = start(process.execPath, [
      bin,
      'sandbox',
      ...['--port', String(sandboxPort), '--config', sandboxConfig, '--save-state', state],
    ]);
    await waitFor(async () => (await fetch(`${sandboxUrl}/__sandbox/stats`)).ok, 'the sandbox');
    return sandbox;
  };
  let sandbox = await startSandboxProcess();
  const stats: SandboxStats[] = [];
  const sandboxStats = async () =>
    (await (await fetch(`${sandboxUrl}/__sandbox/stats`)).json()) as SandboxStats;

  const prefix = `{chaos-${Date.now().toString(36)}}`;
  const env = sandboxEnv(sandboxUrl, prefix, {
    REDIS_URL: redisUrl,
    FEISHU_TIMEOUT_MS: '2000',
    // The margin is learned from the 20 ms of jitter here (README, "Rate limits"); a set value is its floor.
    ...(process.env.HIRE_LIMIT_MARGIN_MS ? { HIRE_LIMIT_MARGIN_MS: process.env.HIRE_LIMIT_MARGIN_MS } : {}),
    LOG_LEVEL: 'info',
  });
  const createFile = join(dir, 'create.csv');
  writeFileSync(
    createFile,
    `talent_id,job_id\n${fixture.talents
      .slice(0, N)
      .map((t) => `${t.id},${JOB}`)
      .join('\n')}\n`,
  );
  const terminateFile = join(dir, 'terminate.csv');
  writeFileSync(
    terminateFile,
    `application_id,termination_type\n${fixture.applications.map((a) => `${a.id},1`).join('\n')}\n`,
  );
  for (const [operation, file] of [
    ['create', createFile],
    ['terminate', terminateFile],
  ] as const) {
    const enqueue = start(
      process.execPath,
      [bin, 'enqueue', operation, '--file', file, '--batch', `chaos-${operation}`],
      env,
    );
    if ((await enqueue.exited) !== 0) throw new Error(`enqueue ${operation} failed: ${enqueue.stderr()}`);
  }

  const logs: string[] = [];
  const workers: Proc[] = [];
  const startWorker = () => {
    const worker = start(process.execPath, [bin, 'work'], env);
    void worker.exited.then(() => logs.push(worker.stderr()));
    workers.push(worker);
  };
  for (let i = 0; i < plan.workers; i++) startWorker();
  const workStarted = Date.now();

  const runtime = createQueueRuntime(loadConfig(env), 'chaos');
  const finished = async () =>
    (await runtime.batches.progress('chaos-create')).finished &&
    (await runtime.batches.progress('chaos-terminate')).finished;
  const events: string[] = [];
  const note = (what: string) => events.push(`${((Date.now() - workStarted) / 1000).toFixed(1)} s ${what}`);
  let kills = 0;
  let redisRestarts = 0;
  let sandboxRestarts = 0;
  let tokensExpired = false;
  let lastKill = Date.now();
  const deadline = Date.now() + (short ? 240_000 : 900_000);
  while (!(await finished().catch(() => false))) {
    if (Date.now() > deadline) {
      note('deadline reached');
      break;
    }
    const elapsed = Date.now() - workStarted;
    const killDue = short
      ? kills === 0 && elapsed > 2000
      : elapsed - (lastKill - workStarted) > plan.killEveryMs;
    if (killDue && kills < plan.kills) {
      const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (victim) {
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        lastKill = Date.now();
        note(`kill -9 worker ${victim.child.pid}`);
        startWorker();
      }
    }
    if (redisRestarts < plan.redisRestarts && elapsed > (redisRestarts + 1) * (short ? 4000 : 20_000)) {
      redis.child.kill('SIGTERM');
      await redis.exited;
      note('redis stopped');
      redis = await startRedis();
      redisRestarts++;
      note('redis started again (AOF)');
    }
    if (sandboxRestarts < plan.sandboxRestarts && elapsed > 30_000) {
      stats.push(await sandboxStats());
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
      note('sandbox stopped, state saved');
      sandbox = await startSandboxProcess();
      sandboxRestarts++;
      note('sandbox started again with its state');
    }
    if (!tokensExpired && elapsed > (short ? 3000 : 40_000)) {
      await fetch(`${sandboxUrl}/__sandbox/expire-tokens`, { method: 'POST' });
      tokensExpired = true;
      note('every token expired');
    }
    await delay(250);
  }
  const wallMs = Date.now() - workStarted;
  note('finished');
  stats.push(await sandboxStats());

  const rows: Record<'create' | 'terminate', ResultRow[]> = { create: [], terminate: [] };
  for (const operation of ['create', 'terminate'] as const)
    await buildBatchReport(runtime.batches, runtime.queues.deadLetter, `chaos-${operation}`, (row) => {
      rows[operation].push(row);
    });
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  const tenant = (await (await fetch(`${sandboxUrl}/__sandbox/state`)).json()) as {
    applications: { id: string; talent_id: string; job_id: string; active_status: number }[];
  };

  // Jobs lost: rows without a final outcome, or missing from the batch.
  const lost =
    2 * N -
    rows.create.length -
    rows.terminate.length +
    [...rows.create, ...rows.terminate].filter((r) => r.status === 'pending').length;
  const byTalent = new Map<string, typeof tenant.applications>();
  for (const a of tenant.applications) byTalent.set(a.talent_id, [...(byTalent.get(a.talent_id) ?? []), a]);
  const createdTwice = fixture.talents
    .slice(0, N)
    .filter((t) => (byTalent.get(t.id) ?? []).filter((a) => a.job_id === JOB).length > 1).length;
  const byId = new Map(tenant.applications.map((a) => [a.id, a]));
  const disagreeing =
    rows.create.filter((r) => {
      const made = (byTalent.get(String(r.input.talent_id)) ?? []).filter((a) => a.job_id === JOB);
      const ok = r.status === 'succeeded' || r.status === 'alreadyDone';
      return ok ? !made.some((a) => a.id === r.applicationId) : made.length > 0;
    }).length +
    rows.terminate.filter((r) => {
      const application = byId.get(String(r.input.application_id));
      const ok = r.status === 'succeeded' || r.status === 'alreadyDone';
      return ok ? application?.active_status !== 2 : application?.active_status === 2;
    }).length;
  const sum = (pick: (s: SandboxStats) => number) => stats.reduce((total, s) => total + pick(s), 0);
  const create429 = sum((s) => s.endpoints.create.http429);
  const terminate429 = sum((s) => s.endpoints.terminate.http429);
  const allLogs = [...logs, ...workers.map((w) => w.stderr())].join('\n');
  const attemptsOn429 = allLogs
    .split('\n')
    .filter((line) => line.includes('attempt failed') && /99991400|HTTP 429/.test(line)).length;
  const floorMs = Math.max(
    ((N - 1) / 50) * 1000,
    Math.floor((N - 1) / 1000) * 60_000,
    ((N - 1) / FORCED_TERMINATE_LIMIT) * 1000,
  );
  const statuses = (list: ResultRow[]) =>
    Object.entries(
      list.reduce<Record<string, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {}),
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');

  const result = {
    mode: short ? 'short' : 'full',
    jobs: 2 * N,
    workers: plan.workers,
    kills,
    redisRestarts,
    sandboxRestarts,
    tokensExpired,
    goals: {
      jobsLost: lost,
      createdTwice,
      statusDisagreesWithSandbox: disagreeing,
      unforced429s: create429,
      attemptsSpentOn429s: attemptsOn429,
    },
    forced429s: terminate429,
    sandboxCalls: {
      create: sum((s) => s.endpoints.create.calls),
      terminate: sum((s) => s.endpoints.terminate.calls),
    },
    injectedFaults:
      sum((s) => Object.values(s.endpoints.create.faults).reduce((a, b) => a + b, 0)) +
      sum((s) => Object.values(s.endpoints.terminate.faults).reduce((a, b) => a + b, 0)),
    wallSeconds: Math.round(wallMs / 100) / 10,
    floorSeconds: Math.round(floorMs / 100) / 10,
    wallOverFloor: Math.round((wallMs / floorMs) * 100) / 100,
    statuses: { create: statuses(rows.create), terminate: statuses(rows.terminate) },
    machine: `${cpus().length} cores, Node ${process.version}`,
    totalSeconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(events.join('\n'));
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `| ${result.mode} | ${result.jobs} | ${kills} | ${redisRestarts} | ${sandboxRestarts} | ${tokensExpired ? 1 : 0} | ` +
      `${lost} | ${createdTwice} | ${disagreeing} | ${create429} | ${attemptsOn429} | ${terminate429} | ` +
      `${result.wallSeconds} s / ${result.floorSeconds} s = ${result.wallOverFloor} |`,
  );

  await runtime.close();
  sandbox.child.kill('SIGTERM');
  redis.child.kill('SIGTERM');
  await Promise.all([sandbox.exited, redis.exited]);
  const failed = Object.entries(result.goals).filter(([, v]) => v !== 0);
  if (failed.length > 0) {
    console.error(`chaos: goals missed: ${failed.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    process.exitCode = 1;
  }
}

async function fetchRedisPing(port: number): Promise<boolean> {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } finally {
    probe.disconnect();
  }
}

void main();
