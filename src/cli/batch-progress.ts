import { SingleBar, Presets } from 'cli-progress';
import type { BatchStore } from '../lib/batches/batch-store';
import type { HireQueues } from '../lib/queues/hire-queues';
import { waitForBatch as waitUntilFinished } from '../lib/batches/wait-for-batch';

export interface WaitOptions {
  /** How often progress is read. @default 250 */
  pollMs?: number;
  /** Show progress on stderr: a bar on a terminal, a line every `lineEveryMs` otherwise. @default true */
  show?: boolean;
  /** @default 5000 */
  lineEveryMs?: number;
  label?: string;
  /** Stop early (e.g. the fleet halted). */
  signal?: AbortSignal;
  /** What is holding the batch back, if anything (Feishu unreachable, ...): shown with the progress. */
  note?: () => string | undefined;
}

/** Waits for the batch to finish (`lib/batches/wait-for-batch`), showing its progress on stderr. */
export async function watchBatch(
  target: { batches: BatchStore; queues: HireQueues },
  batchId: string,
  options: WaitOptions = {},
): Promise<void> {
  const show = options.show ?? true;
  const tty = show && process.stderr.isTTY === true;
  const label = options.label ?? batchId;
  const bar = tty
    ? new SingleBar(
        {
          format: `${label} [{bar}] {value}/{total} rows · {rate}/s · {eta_formatted} left{note}`,
          stream: process.stderr,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  const startedAt = Date.now();
  // The rate counts what got done while this command watched, not what was done before it began.
  let doneAtStart: number | undefined;
  let lastLineAt = 0;
  let started = false;
  try {
    await waitUntilFinished(target, batchId, {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (progress) => {
        doneAtStart ??= progress.done;
        const watchedS = (Date.now() - startedAt) / 1000;
        const rate = (watchedS < 0.5 ? 0 : (progress.done - doneAtStart) / watchedS).toFixed(1);
        const noted =
          progress.state === 'paused'
            ? `paused: no call starts until hire-queue batch ${batchId} --resume`
            : options.note?.();
        const note = noted ? ` · ${noted}` : '';
        if (bar) {
          if (!started) bar.start(progress.jobs, progress.done, { rate, note });
          started = true;
          bar.setTotal(progress.jobs);
          bar.update(progress.done, { rate, note });
        } else if (show && Date.now() - lastLineAt >= (options.lineEveryMs ?? 5000)) {
          lastLineAt = Date.now();
          const { succeeded, alreadyDone, deadLettered, skipped, cancelled } = progress.counts;
          const more = `${skipped > 0 ? `, ${skipped} skipped` : ''}${cancelled > 0 ? `, ${cancelled} cancelled` : ''}`;
          const pending = progress.jobs - progress.done;
          const perSecond = Number(rate);
          const eta = pending === 0 ? '0 s' : perSecond > 0 ? `${Math.ceil(pending / perSecond)} s` : '?';
          process.stderr.write(
            `${label}: ${progress.done}/${progress.jobs} done (${succeeded} succeeded, ${alreadyDone} already done, ${deadLettered} dead-lettered${more}) ${rate}/s, ETA ${eta}${note}\n`,
          );
        }
      },
    });
  } finally {
    bar?.stop();
  }
}
