import { BATCH_RETENTION_S } from '../retention';
import { buildBatchReport, type BatchReport } from '../batches/batch-report';
import type { BatchStore } from '../batches/batch-store';
import { codeRules } from '../feishu/code-rules';
import type { HireQueues } from '../queues/hire-queues';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import { postToGroup, type GroupBot } from './group-bot';

const NOTIFIED_TTL_S = BATCH_RETENTION_S;

/**
 * Tells the team's Feishu group when a batch ends (finished or cancelled) or the fleet halts: one
 * message, fleet-wide exactly once, from whichever process records the batch's last outcome. A
 * failed post is retried and logged; it never changes a job's outcome or an exit code.
 */
export class BatchNotifier {
  constructor(
    private readonly target: { batches: BatchStore; queues: HireQueues; redis: RedisClient; keys: RedisKeys },
    private readonly bot: GroupBot,
    private readonly logger: Logger,
    /** The console's address (`HIRE_CONSOLE_URL`): the end card links to the batch's page. */
    private readonly consoleUrl?: string | undefined,
  ) {}

  /** Call after recording an outcome (or cancelling): posts once the batch has ended. Never throws. */
  async batchMayHaveEnded(batchId: string): Promise<void> {
    try {
      const { batches, queues, redis, keys } = this.target;
      if (!(await batches.progress(batchId)).finished) return;
      const claimed = await redis.set(keys.batch(batchId).notified, '1', 'EX', NOTIFIED_TTL_S, 'NX');
      if (claimed !== 'OK') return;
      const report = await buildBatchReport(batches, queues.deadLetter, batchId);
      if (report) await this.post(batchEndCard(report, this.consoleUrl), { batchId });
    } catch (error) {
      this.logger.warn(
        { batchId, err: (error as Error).message },
        'could not tell the group the batch ended',
      );
    }
  }

  /** The queues were paused by a fleet-wide refusal: once per halt. Never throws. */
  async fleetHalted(halt: { code: string; message: string; fix?: string | undefined }): Promise<void> {
    try {
      const claimed = await this.target.redis.set(
        this.target.keys.fleetHaltNotified,
        '1',
        'EX',
        86_400,
        'NX',
      );
      if (claimed !== 'OK') return;
      const stopped: string[] = [];
      for (const batchId of await this.target.batches.listBatchIds(20)) {
        const progress = await this.target.batches.progress(batchId);
        if (!progress.finished)
          stopped.push(`\`${batchId}\` (${progress.jobs - progress.done} rows pending)`);
      }
      await this.post(
        card('red', 'hire-queue: the fleet is halted', [
          `Feishu answered **${halt.code}** (${halt.message}) to every call; the queues are paused, no job failed.`,
          ...(stopped.length > 0 ? [`Halted batches: ${stopped.join(', ')}`] : []),
          `To fix: ${halt.fix ?? 'check the app configuration'}, then start \`hire-queue work\` again.`,
        ]),
        { halt: halt.code },
      );
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not tell the group the fleet halted');
    }
  }

  private async post(message: object, context: Record<string, string>): Promise<void> {
    try {
      await postToGroup(this.bot, message);
      this.logger.info(context, 'told the group');
    } catch (error) {
      this.logger.warn(
        { ...context, err: (error as Error).message },
        'the group message failed after retries',
      );
    }
  }
}

function card(template: 'green' | 'orange' | 'red' | 'grey', title: string, lines: string[]): object {
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { template, title: { tag: 'plain_text', content: title } },
      elements: lines.map((content) => ({ tag: 'div', text: { tag: 'lark_md', content } })),
    },
  };
}

/** What a person in the group reads when a batch ends. */
export function batchEndCard(report: BatchReport, consoleUrl?: string): object {
  const c = report.counts;
  const failed = c.deadLettered + c.invalid;
  const template = report.state === 'cancelled' ? 'grey' : failed > 0 ? 'orange' : 'green';
  const byCode = new Map<string, number>();
  for (const letter of report.deadLetters) byCode.set(letter.code, (byCode.get(letter.code) ?? 0) + 1);
  const commonest = [...byCode.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const lines = [
    `**${report.operation}** batch \`${report.batchId}\`: **${report.state}**`,
    `${c.total} rows: ${c.succeeded} succeeded, ${c.alreadyDone} already done, ${c.skipped} skipped, ` +
      `${c.deadLettered} dead-lettered, ${c.cancelled} cancelled, ${c.invalid} invalid`,
    `${report.ratePerSecond} rows/s over ${(report.elapsedMs / 1000).toFixed(1)} s`,
  ];
  if (commonest.length > 0) {
    lines.push(
      `Commonest dead-letter codes: ${commonest
        .map(([code, n]) => `${code} ×${n} (${codeRules[Number(code)]?.meaning ?? 'see the dead letter'})`)
        .join('; ')}`,
    );
    lines.push(`List them: \`hire-queue dlq list --batch ${report.batchId}\``);
  }
  if (consoleUrl)
    lines.push(`[打开批次 · open the batch](${consoleUrl}/batches/${encodeURIComponent(report.batchId)})`);
  return card(template, `hire-queue: ${report.operation} batch ${report.state}`, lines);
}

/**
 * After a change that may end a batch outside a worker (a cancel): tells the group, once for the
 * fleet, when the group bot is configured. Never throws.
 */
export async function tellGroupIfBatchEnded(
  target: ConstructorParameters<typeof BatchNotifier>[0] & {
    config: {
      notifyWebhook?: string | undefined;
      notifySecret?: string | undefined;
      consoleUrl?: string | undefined;
    };
  },
  batchId: string,
  logger: Logger,
): Promise<void> {
  const { notifyWebhook, notifySecret } = target.config;
  if (!notifyWebhook) return;
  await new BatchNotifier(
    target,
    { webhook: notifyWebhook, secret: notifySecret },
    logger,
    target.config.consoleUrl,
  ).batchMayHaveEnded(batchId);
}
