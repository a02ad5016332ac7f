import { BatchStore } from '../lib/batches/batch-store';
import { buildBatchReport, type BatchReport } from '../lib/batches/batch-report';
import { loadConfig, type ConfigSource, type HireQueueConfig } from '../lib/config';
import { openQueues, type HireQueues } from '../lib/jobs/hire-queues';
import type { InputOf, Operation } from '../lib/feishu/hire-schemas';
import { assertRedisReachable, createRedis } from '../lib/redis/redis-connection';
import { redisKeys } from '../lib/redis/redis-keys';
import { defaultRetryPolicy } from '../lib/jobs/retry-policy';
import type { Redis } from 'ioredis';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { enqueueRows } from '../lib/batches/enqueue-batch';
import { validateRow } from '../lib/rows/validate-row';

export interface EnqueueResult {
  batchId: string;
  /** Rows enqueued (a row repeated in one batch becomes one job). */
  accepted: number;
  /** Rows refused by validation: their position (1-based) and reasons; nothing else was lost. */
  invalid: { row: number; errors: string[] }[];
}

/**
 * Enqueue jobs and read batch reports from your own code. Needs Redis only; workers
 * (`hire-queue work`) do the calling.
 */
export class HireQueueProducer {
  private constructor(
    readonly config: HireQueueConfig,
    private readonly redis: Redis,
    private readonly queues: HireQueues,
    private readonly batches: BatchStore,
  ) {}

  /** Connects with the environment's settings (REDIS_URL, HIRE_QUEUE_PREFIX), or `env` given. */
  static async connect(env: ConfigSource = process.env): Promise<HireQueueProducer> {
    const config = loadConfig(env);
    await assertRedisReachable(config.redisUrl);
    const redis = createRedis(config.redisUrl, { name: 'hire-queue-producer' });
    const queues = openQueues(redis, config.queuePrefix, defaultRetryPolicy);
    return new HireQueueProducer(config, redis, queues, new BatchStore(redis, redisKeys(config.queuePrefix)));
  }

  /** Validates each row by the seed's rules and enqueues the good ones as one batch. */
  async enqueue<O extends Operation>(
    operation: O,
    rows: readonly InputOf[O][] | readonly Record<string, unknown>[],
    options: { batchId?: string } = {},
  ): Promise<EnqueueResult> {
    const batchId = checkBatchId(options.batchId ?? newBatchId(operation));
    await this.batches.create({ batchId, operation, createdAtMs: Date.now(), source: 'api' });
    const invalid: EnqueueResult['invalid'] = [];
    let accepted = 0;
    for (let start = 0; start < rows.length; start += 500) {
      const good = [];
      for (let i = start; i < Math.min(rows.length, start + 500); i++) {
        const checked = validateRow(operation, { line: i + 1, value: { ...rows[i] } });
        if (checked.ok) good.push({ line: checked.line, input: checked.input });
        else invalid.push({ row: i + 1, errors: checked.errors });
      }
      await enqueueRows(this.queues, this.batches, batchId, operation, good);
      accepted += good.length;
    }
    await this.batches.addInvalid(
      batchId,
      invalid.map((bad) => ({ line: bad.row, errors: bad.errors })),
    );
    await this.batches.seal(batchId);
    return { batchId, accepted, invalid };
  }

  /** The batch's report as `hire-queue batch ID --json` prints it; undefined for an unknown id. */
  report(batchId: string): Promise<BatchReport | undefined> {
    return buildBatchReport(this.batches, this.queues.deadLetter, batchId);
  }

  /** Resolves with the report once every row is done. Checks every `pollMs` (default 500). */
  async waitForBatch(batchId: string, pollMs = 500): Promise<BatchReport> {
    for (;;) {
      const [meta, progress] = await Promise.all([
        this.batches.meta(batchId),
        this.batches.progress(batchId),
      ]);
      if (!meta) throw new Error(`no batch ${batchId}`);
      if (meta.sealed && progress.done >= progress.jobs) return (await this.report(batchId))!;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async close(): Promise<void> {
    await this.queues.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
