// A worker in its own process, so a test can kill it with SIGKILL mid-batch.
import { loadConfig } from '../../src/lib/config';
import { createRuntime } from '../../src/lib/runtime/hire-runtime';
import { startWorkers } from '../../src/workers/hire-worker';
import { readyThenGo } from '../helpers/child-process';

async function main() {
  const runtime = createRuntime(loadConfig(process.env), 'worker-process');
  await startWorkers({
    runtime,
    operations: ['create'],
    concurrency: 5,
    lockDurationMs: Number(process.env.LOCK_DURATION_MS ?? 1000),
  });
  await readyThenGo();
  // Runs until killed.
  setInterval(() => undefined, 60_000);
}
void main();
