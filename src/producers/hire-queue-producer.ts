import { buildBatchReport, type BatchReport } from '../lib/batches/batch-report';
import { checkBatchId, newBatchId } from '../lib/batches/batch-id';
import { cancelBatch, pauseBatch, resumeBatch, type ControlResult } from '../lib/batches/batch-control';
import type { BatchPriority, ExistingPolicy } from '../lib/batches/batch-store';
import { enqueueBatch } from '../lib/batches/enqueue-batch';
import { waitForBatch } from '../lib/batches/wait-for-batch';
import { loadConfig, type ConfigSource, type HireQueueConfig } from '../lib/config';
import type { InputOf, Operation } from '../lib/feishu/hire-schemas';
import { connectQueueRuntime, type QueueRuntime } from '../lib/runtime/hire-runtime';
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
  private constructor(private readonly runtime: QueueRuntime) {}

  get config(): HireQueueConfig {
    return this.runtime.config;
  }

  /** Connects with the environment's settings (REDIS_URL, HIRE_QUEUE_PREFIX), or `env` given. */
  static async connect(env: ConfigSource = process.env): Promise<HireQueueProducer> {
    return new HireQueueProducer(await connectQueueRuntime(loadConfig(env), 'hire-queue-producer'));
  }

  /** Validates each row by the seed's rules and enqueues the good ones as one batch. */
  async enqueue<O extends Operation>(
    operation: O,
    rows: readonly InputOf[O][] | readonly Record<string, unknown>[],
    options: {
      batchId?: string;
      priority?: BatchPriority;
      /** Create: adopt an existing active application on a duplicate, or dead-letter the row. */
      existing?: ExistingPolicy;
      /** Create: rows whose talent and job hire-queue already created are done, without a call. */
      skipCreated?: boolean;
    } = {},
  ): Promise<EnqueueResult> {
    const batchId = checkBatchId(options.batchId ?? newBatchId(operation));
    const invalid: EnqueueResult['invalid'] = [];
    const checked = rows.map((row, i) => {
      const result = validateRow(operation, { line: i + 1, value: { ...row } });
      if (!result.ok) invalid.push({ row: i + 1, errors: result.errors });
      return result;
    });
    const result = await enqueueBatch(
      this.runtime,
      {
        batchId,
        operation,
        source: 'api',
        ...(options.priority ? { priority: options.priority } : {}),
        ...(options.existing ? { existing: options.existing } : {}),
        ...(options.skipCreated ? { skipCreated: true } : {}),
      },
      checked,
    );
    return { batchId, accepted: result.accepted, invalid };
  }

  /** The batch's report as `hire-queue batch ID --json` prints it; undefined for an unknown id. */
  report(batchId: string): Promise<BatchReport | undefined> {
    return buildBatchReport(this.runtime.batches, this.runtime.queues.deadLetter, batchId);
  }

  /** Resolves with the report once every row is done. Checks every `pollMs` (default 500). */
  async waitForBatch(batchId: string, pollMs = 500): Promise<BatchReport> {
    await waitForBatch(this.runtime, batchId, { pollMs });
    return (await this.report(batchId))!;
  }

  /** Stops starting calls of the batch; calls in flight finish. See `pauseBatch`. */
  pause(batchId: string): Promise<ControlResult> {
    return pauseBatch(this.runtime, batchId);
  }

  resume(batchId: string): Promise<ControlResult> {
    return resumeBatch(this.runtime, batchId);
  }

  /** Cancels the batch: rows not called yet are recorded `cancelled`. See `cancelBatch`. */
  cancel(batchId: string): Promise<ControlResult & { cancelled: number }> {
    return cancelBatch(this.runtime, batchId);
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }
}
