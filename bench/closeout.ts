// npm run bench:closeout — a stale close-out of 6,000 applications (enqueue stale, then `work` in a
// process of its own) against the sandbox's documented limits, with recruiters touching 3
// applications every 10 s while it runs. Two guards, one run each: `job` (rows carry their job:
// the fleet lists the job's applications updated since the cutoff about once a second) and `read`
// (a read of each application before its call, as before). It prints the span of the terminate
// calls against the floor (calls ÷ 20/s), the reads made, and what became of every touched
// application. BENCH_CLOSEOUT_ROWS, BENCH_CLOSEOUT_GUARDS (job,read) narrow it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { enqueueBatch } from '../src/lib/batches/enqueue-batch';
import { loadConfig } from '../src/lib/config';
import { createRuntime } from '../src/lib/runtime/hire-runtime';
import { acceptedRows, findStaleApplicationIds, terminateInputs } from '../src/producers/stale-applications';
import { startSandbox } from '../src/sandbox/sandbox-server';
import { deleteKeysUnder } from './prefix-keys';
import { REDIS_URL, sandboxEnv } from './sandbox-env';

const ROWS = Number(process.env.BENCH_CLOSEOUT_ROWS ?? 6000);
const GUARDS = (process.env.BENCH_CLOSEOUT_GUARDS ?? 'job,read').split(',') as ('job' | 'read')[];
const RATE = 20;
const TOUCH_EVERY_MS = 10_000;
const TOUCHES = 3;
const JOB = 'job-closeout';
const bin = join(__dirname, '..', '..', 'bin', 'hire-queue.js');

async function closeOut(guard: 'job' | 'read') {
  const now = Date.now();
  const stages = [{ id: 'stage-screen', zh_name: '简历筛选', en_name: 'Screening', type: 1 }];
  const sandbox = await startSandbox({
    config: {
      fixture: {
        talents: Array.from({ length: ROWS }, (_, i) => ({ id: `talent-${i}` })),
        jobs: [{ id: JOB, stages }],
        resumeSources: [],
        employees: [],
        terminationReasons: [],
        applications: Array.from({ length: ROWS }, (_, i) => ({
          id: `app-${i}`,
          job_id: JOB,
          talent_id: `talent-${i}`,
          stage_id: 'stage-screen',
          active_status: 1 as const,
          create_time: now - 90 * 86_400_000,
          modify_time: now - 60 * 86_400_000,
        })),
      },
    },
  });
  const prefix = `{bench-closeout-${guard}-${now.toString(36)}}`;
  const env = sandboxEnv(sandbox.url, prefix, { LOG_LEVEL: 'warn' });
  const runtime = createRuntime(loadConfig(env), 'bench-closeout');
  const { ids, cutoffMs } = await findStaleApplicationIds(runtime.client, {
    jobId: JOB,
    olderThanMs: 30 * 86_400_000,
  });
  const inputs = terminateInputs(ids, 1, [], 'round closed', cutoffMs, guard === 'job' ? JOB : undefined);
  await enqueueBatch(runtime, { batchId: 'closeout', operation: 'terminate' }, acceptedRows(inputs));
  const before = sandbox.stats().endpoints;
  const readsBefore = before.listApplications.calls + before.getApplication.calls;

  const terminated = new Set<string>();
  const arrivals: number[] = [];
  sandbox.onArrival((event) => {
    if (event.endpoint !== 'terminate') return;
    arrivals.push(event.arrivedMs);
    terminated.add(event.applicationId!);
  });
  // Recruiters move applications whose turn has not come yet, from the listing's side of the run.
  const touched: string[] = [];
  let next = 0;
  const touching = setInterval(() => {
    for (let k = 0; k < TOUCHES; k++) {
      next = Math.max(next, terminated.size + 40);
      const id = `app-${(next += 37) % ROWS}`;
      if (terminated.has(id)) continue;
      sandbox.touchApplication(id);
      touched.push(id);
    }
  }, TOUCH_EVERY_MS);
  const work = spawn(process.execPath, [bin, 'work', '--queues', 'terminate'], { env, stdio: 'ignore' });
  for (;;) {
    const progress = await runtime.batches.progress('closeout');
    if (progress.finished) break;
    await delay(500);
  }
  clearInterval(touching);
  work.kill('SIGTERM');
  await new Promise((resolve) => work.once('exit', resolve));

  const after = sandbox.stats().endpoints;
  const spanS = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
  const floorS = (arrivals.length - 1) / RATE;
  const outcomes = new Map<string, string>();
  for await (const chunk of runtime.batches.rowsWithOutcomes('closeout'))
    for (const row of chunk) outcomes.set(String(row.input.application_id), row.outcome?.status ?? 'pending');
  const touchedSkipped = touched.filter((id) => outcomes.get(id) === 'skipped').length;
  const touchedTerminated = touched.filter((id) => terminated.has(id)).length;
  const redis = new Redis(REDIS_URL);
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
  await runtime.close();
  await sandbox.close();
  return {
    guard,
    rows: ROWS,
    terminateCalls: arrivals.length,
    spanS,
    floorS,
    ratio: spanS / floorS,
    reads: after.listApplications.calls + after.getApplication.calls - readsBefore,
    listings: after.listApplications.calls - before.listApplications.calls,
    gets: after.getApplication.calls - before.getApplication.calls,
    http429: after.terminate.http429 + after.listApplications.http429 + after.getApplication.http429,
    touched: touched.length,
    touchedSkipped,
    touchedTerminated,
  };
}

async function main() {
  console.log(
    `bench:closeout — ${ROWS} stale applications of one job, terminate 20/s, reads 50/s and 1000/min`,
  );
  console.log(
    '| guard | terminate calls | span s | floor s | span ÷ floor | reads (list / get) | 429s | touched | skipped | terminated anyway |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const guard of GUARDS) {
    const r = await closeOut(guard);
    console.log(
      `| ${r.guard === 'job' ? 'listing of the job' : 'read per row'} | ${r.terminateCalls} | ${r.spanS.toFixed(1)} | ${r.floorS.toFixed(1)} | ${r.ratio.toFixed(3)} | ${r.reads} (${r.listings} / ${r.gets}) | ${r.http429} | ${r.touched} | ${r.touchedSkipped} | ${r.touchedTerminated} |`,
    );
    if (r.guard === 'job')
      console.log(
        `  goal: span ≤ 1.05 × floor: ${r.ratio <= 1.05 ? 'met' : 'MISSED'}; every touched application skipped: ${r.touchedSkipped === r.touched && r.touchedTerminated === 0 ? 'yes' : 'NO'}`,
      );
  }
}

void main();
