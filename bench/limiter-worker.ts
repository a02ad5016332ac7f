// One process of the limiter benchmark: sends its share of calls by one method, then reports.
import { Queue, Worker } from 'bullmq';
import { loadConfig } from '../src/lib/config';
import { FeishuClient } from '../src/lib/feishu/feishu-client';
import { createRuntime } from '../src/lib/runtime/hire-runtime';
import { createRedis } from '../src/lib/redis/redis-connection';

export type Method = 'fleet-limiter' | 'bullmq-limiter' | 'sleep-loop';
export interface WorkerArgs {
  method: Method;
  endpoint: 'create' | 'terminate';
  calls: number;
  processes: number;
  /** The documented cap this method spaces for: limit per windowMs. */
  limit: number;
  windowMs: number;
  runKey: string;
  queueName: string;
}

async function main() {
  const args = JSON.parse(process.argv[2]!) as WorkerArgs;
  const runtime = createRuntime(loadConfig(process.env), `bench-${args.method}`);
  // BullMQ's limiter and the sleep loop call Feishu without our limiter.
  const unlimited = new FeishuClient({
    baseUrl: runtime.config.baseUrl,
    appId: runtime.config.appId!,
    appSecret: runtime.config.appSecret!,
    redis: runtime.redis,
    keys: runtime.keys,
  });
  const client = args.method === 'fleet-limiter' ? runtime.client : unlimited;
  await client.token.get();
  const codes: Record<string, number> = {};
  const call = async (n: number) => {
    const id = String(n);
    try {
      if (args.endpoint === 'create')
        await client.createApplication({
          talent_id: `69${id.padStart(17, '0')}`,
          job_id: '6800000000000000001',
        });
      else
        await client.terminateApplication({
          application_id: `73${id.padStart(17, '0')}`,
          termination_type: 1,
        });
      codes['0'] = (codes['0'] ?? 0) + 1;
    } catch (error) {
      const code = String((error as { feishuCode?: number }).feishuCode ?? (error as Error).message);
      codes[code] = (codes[code] ?? 0) + 1;
    }
  };
  const ticket = async () => Number(await runtime.redis.incr(args.runKey));

  process.send?.('ready');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const startedAt = Date.now();

  if (args.method === 'fleet-limiter') {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let n = await ticket(); n <= args.calls; n = await ticket()) await call(n);
      }),
    );
  } else if (args.method === 'sleep-loop') {
    // Each process takes an equal share of the budget: one call every windowMs / limit * processes.
    const gapMs = (args.windowMs / args.limit) * args.processes;
    for (let n = await ticket(); n <= args.calls; n = await ticket()) {
      const sentAt = Date.now();
      await call(n);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, gapMs - (Date.now() - sentAt))));
    }
  } else {
    const connection = createRedis(runtime.config, { name: 'bench-bullmq' });
    const queue = new Queue(args.queueName, { connection, prefix: runtime.config.queuePrefix });
    const workerConnection = createRedis(runtime.config, { name: 'bench-bullmq-worker' });
    const worker = new Worker(args.queueName, async (job) => call(Number(job.data.n)), {
      connection: workerConnection,
      prefix: runtime.config.queuePrefix,
      concurrency: 8,
      limiter: { max: args.limit, duration: args.windowMs },
    });
    await new Promise<void>((resolve) => {
      const check = async () => {
        const counts = await queue.getJobCounts('completed', 'failed');
        if ((counts.completed ?? 0) + (counts.failed ?? 0) >= args.calls) {
          clearInterval(timer);
          resolve();
        }
      };
      // Other processes finish jobs too, so this one cannot rely on its own events alone.
      const timer = setInterval(() => void check(), 200);
      worker.on('completed', () => void check());
      void check();
    });
    await worker.close();
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
  const finishedAt = Date.now();
  const { lateSlots, movedSlots } = runtime.limiter;
  console.log(JSON.stringify({ codes, startedAt, finishedAt, lateSlots, movedSlots }));
  unlimited.close();
  await runtime.close();
}

void main();
