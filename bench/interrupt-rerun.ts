// npm run bench:interrupt — Ctrl-C a `run`, then run the same command again: how long the re-run
// takes against its floor (the rows left at the documented 20/s). Before jobs were released on
// Ctrl-C, a re-run waited ~30 s for the killed run's locks to lapse.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSandbox } from '../src/sandbox/sandbox-server';
import { REDIS_URL, sandboxEnv } from './sandbox-env';
import { deleteKeysUnder } from './prefix-keys';

const ROWS = Number(process.env.BENCH_INTERRUPT_ROWS ?? 159);
const INTERRUPT_AFTER = Number(process.env.BENCH_INTERRUPT_AFTER ?? 40);
const RATE = 20;
const bin = join(__dirname, '..', '..', 'bin', 'hire-queue.js');

function run(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (kill: () => void) => void) {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  onSpawn?.(() => child.kill('SIGINT'));
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
}

async function main() {
  const sandbox = await startSandbox({
    config: { generate: { talents: ROWS + 10, jobs: 1, employees: 0, applications: ROWS, maxAgeDays: 1 } },
  });
  const ids = [...sandbox.state.applications.keys()].slice(0, ROWS);
  const dir = mkdtempSync(join(tmpdir(), 'hq-bench-interrupt-'));
  const file = join(dir, 'close.csv');
  writeFileSync(file, `application_id,termination_type\n${ids.map((id) => `${id},1`).join('\n')}\n`);
  const prefix = `{bench-interrupt-${Date.now().toString(36)}}`;
  const env = sandboxEnv(sandbox.url, prefix, { LOG_LEVEL: 'warn' });
  const args = ['run', 'terminate', '--file', file, '--batch', 'bench-round'];

  let kill: () => void = () => undefined;
  let seen = 0;
  let interruptedAt = 0;
  sandbox.onArrival((event) => {
    if (event.endpoint === 'terminate' && ++seen === INTERRUPT_AFTER) {
      interruptedAt = Date.now();
      kill();
    }
  });
  const first = await run(args, env, (k) => (kill = k));
  const stopMs = Date.now() - interruptedAt;
  const doneBefore = sandbox.stats().endpoints.terminate.successes;
  const started = Date.now();
  const second = await run(args, env);
  const rerunMs = Date.now() - started;
  const left = ROWS - doneBefore;
  const floorMs = ((left - 1) / RATE) * 1000;
  const stats = sandbox.stats().endpoints.terminate;

  console.log(`rows ${ROWS}, Ctrl-C after ${INTERRUPT_AFTER} arrivals`);
  console.log(
    `first run: exit ${first.code}, stopped ${stopMs} ms after the signal, ${doneBefore} rows done`,
  );
  console.log(
    `re-run: exit ${second.code}, ${left} rows left, ${(rerunMs / 1000).toFixed(1)} s; floor at ${RATE}/s ${(floorMs / 1000).toFixed(1)} s; ` +
      `re-run / floor = ${(rerunMs / floorMs).toFixed(2)} (includes the command's start, about a second)`,
  );
  console.log(
    `terminate calls ${stats.calls}, successes ${stats.successes}, 429s ${stats.http429}, answers by code ${JSON.stringify(stats.codes)}`,
  );

  const redis = new Redis(REDIS_URL);
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await sandbox.close();
}

void main();
