// npm run bench:limiter — the fleet limiter against BullMQ's limiter and a sleep loop, at the
// documented limits, with 1-5 ms of inbound jitter, for 1, 4 and 8 processes. The sandbox's own
// counts (429s, most calls in any window) are the truth.
import { fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseRateLimits } from '../src/lib/limiter/rate-limit-spec';
import { startSandbox } from '../src/sandbox/sandbox-server';
import type { Method, WorkerArgs } from './limiter-worker';
import { REDIS_URL, sandboxEnv } from './sandbox-env';

const documented = {
  create: parseRateLimits('50/s,1000/min', 'create'),
  terminate: parseRateLimits('20/s', 'terminate'),
};
const callsPerRun = {
  create: Number(process.env.BENCH_CREATE_CALLS ?? 500),
  terminate: Number(process.env.BENCH_TERMINATE_CALLS ?? 300),
};

interface Row {
  method: Method;
  endpoint: 'create' | 'terminate';
  processes: number;
  marginMs: number;
  calls: number;
  successes: number;
  elapsedS: number;
  achieved: number;
  utilization: number;
  http429: number;
  peak: string;
  lateSlots: number;
}

async function run(
  method: Method,
  endpoint: 'create' | 'terminate',
  processes: number,
  marginMs = 20,
): Promise<Row> {
  const calls = callsPerRun[endpoint];
  const sandbox = await startSandbox({
    config: {
      generate: {
        talents: calls + 10,
        jobs: 1,
        employees: 0,
        applications: endpoint === 'terminate' ? calls + 10 : 0,
        maxAgeDays: 1,
      },
      faults: { [endpoint]: { latencyMs: 1, jitterMs: 4 } },
    },
  });
  // Generated applications take the last talents; creates use the first ones.
  const prefix = `{bench-${method}-${endpoint}-${processes}-${Date.now().toString(36)}}`;
  const redis = new Redis(REDIS_URL);
  const [perSecond] = documented[endpoint];
  const queueName = 'bench';
  if (method === 'bullmq-limiter') {
    const queue = new Queue(queueName, { connection: redis, prefix });
    await queue.addBulk(
      Array.from({ length: calls }, (_, i) => ({
        name: 'call',
        data: { n: i + 1 },
        opts: { removeOnComplete: false },
      })),
    );
    await queue.close();
  }
  const args: WorkerArgs = {
    method,
    endpoint,
    calls,
    processes,
    limit: perSecond!.limit,
    windowMs: perSecond!.windowMs,
    runKey: `${prefix}:tickets`,
    queueName,
  };
  const env = sandboxEnv(sandbox.url, prefix, { HIRE_LIMIT_MARGIN_MS: String(marginMs) });
  const children = Array.from({ length: processes }, () =>
    fork(join(__dirname, 'limiter-worker.js'), [JSON.stringify(args)], {
      env,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    }),
  );
  const results = children.map(
    (child) =>
      new Promise<{
        codes: Record<string, number>;
        startedAt: number;
        finishedAt: number;
        lateSlots: number;
      }>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(out.trim().split('\n').pop()!))
            : reject(new Error(`worker exited ${code}`)),
        );
      }),
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  for (const child of children) child.send('go');
  const done = await Promise.all(results);
  const stats = sandbox.stats().endpoints[endpoint];
  const startedAt = Math.min(...done.map((d) => d.startedAt));
  const finishedAt = Math.max(...done.map((d) => d.finishedAt));
  const elapsedS = (finishedAt - startedAt) / 1000;
  // Intervals, not calls: n calls spaced at the limit span n - 1 gaps.
  const achieved = Math.max(0, stats.successes - 1) / elapsedS;
  const limitRate = Math.min(
    ...documented[endpoint].map(
      (c) => ((c.limit * 1000) / c.windowMs) * (c.windowMs >= elapsedS * 1000 ? Infinity : 1),
    ),
  );
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await sandbox.close();
  return {
    method,
    endpoint,
    processes,
    marginMs,
    calls: stats.calls,
    successes: stats.successes,
    elapsedS,
    achieved,
    utilization: achieved / limitRate,
    http429: stats.http429,
    lateSlots: done.reduce((sum, d) => sum + d.lateSlots, 0),
    peak: Object.entries(stats.peakInWindow)
      .map(([w, n]) => `${n}/${Number(w) >= 60_000 ? `${Number(w) / 60_000}min` : `${Number(w) / 1000}s`}`)
      .join(', '),
  };
}

function table(rows: Row[]): string {
  const head =
    '| method | endpoint | processes | margin ms | calls | ok | elapsed s | achieved /s | utilization | 429s | most calls in any window | late slots re-reserved |';
  const sep = '|---|---|---|---|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.method} | ${r.endpoint} | ${r.processes} | ${r.method === 'fleet-limiter' ? r.marginMs : '-'} | ${r.calls} | ${r.successes} | ${r.elapsedS.toFixed(2)} | ${r.achieved.toFixed(2)} | ${(r.utilization * 100).toFixed(1)}% | ${r.http429} | ${r.peak} | ${r.method === 'fleet-limiter' ? r.lateSlots : '-'} |`,
  );
  return [head, sep, ...body].join('\n');
}

async function main() {
  const rows: Row[] = [];
  const methods = (process.env.BENCH_METHODS ?? 'fleet-limiter,bullmq-limiter,sleep-loop').split(
    ',',
  ) as Method[];
  const processCounts = (process.env.BENCH_PROCESSES ?? '1,4,8').split(',').map(Number);
  for (const endpoint of ['terminate', 'create'] as const) {
    for (const processes of processCounts) {
      for (const method of methods) {
        const row = await run(method, endpoint, processes);
        rows.push(row);
        process.stderr.write(`${table([row]).split('\n')[2]}\n`);
      }
    }
  }
  const sweep: Row[] = [];
  for (const marginMs of (process.env.BENCH_MARGINS ?? '0,5,10,15').split(',').map(Number)) {
    const row = await run('fleet-limiter', 'terminate', 8, marginMs);
    sweep.push(row);
    process.stderr.write(`${table([row]).split('\n')[2]}\n`);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(
    `Machine: ${machine}\nCalls per run: terminate ${callsPerRun.terminate}, create ${callsPerRun.create}; inbound jitter 1-5 ms\n`,
  );
  console.log(table(rows));
  console.log('\nMargin sweep (fleet limiter, terminate, 8 processes):\n');
  console.log(table(sweep));
}

void main();
