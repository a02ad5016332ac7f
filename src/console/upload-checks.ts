import { checkRows, type RowFinding } from '../lib/checks/check-rows';
import type { AcceptedRow } from '../lib/batches/enqueue-batch';
import { sustainedPerSecond } from '../lib/limiter/rate-limit-spec';
import type { Logger } from '../lib/logger';
import type { JobOutcome } from '../lib/model/job-outcome';
import type { HireRuntime } from '../lib/runtime/hire-runtime';
import { enqueueFile } from '../producers/enqueue-file';
import { UPLOAD_TTL_S, type UploadMeta, type Uploads } from './uploads';

/** The verdicts a check counts (the four, and rows Feishu would not answer for). */
export const verdicts = ['wouldSucceed', 'alreadyDone', 'wouldFail', 'skipped', 'unchecked'] as const;
export type Verdict = (typeof verdicts)[number];

/** Verdicts a person may leave out at confirm. */
export const leavableVerdicts = ['alreadyDone', 'wouldFail', 'skipped'] as const;
export type LeavableVerdict = (typeof leavableVerdicts)[number];

/** How often progress reaches Redis while a check runs (and what says its console is alive). */
const FLUSH_MS = 500;
/** A running check not heard of for this long lost its console (restarted): it shows as stopped. */
const STALE_MS = 30_000;

/** The answer of `GET /api/v1/uploads/:id/check`. */
export interface CheckState {
  state: 'running' | 'done' | 'stopped';
  checked: number;
  total: number;
  verdicts: Record<Verdict, number>;
  /** Rows other than `wouldSucceed`, in line order. */
  rows: ({ line: number } & Exclude<RowFinding, { verdict: 'wouldSucceed' }>)[];
  startedAt: string;
  startedBy: string;
  finishedAt?: string;
}

/** Seconds a check of `rows` takes at the read limit's sustained pace (one read per row). */
export function checkEstimateSeconds(runtime: HireRuntime, rows: number): number {
  const perSecond = sustainedPerSecond(runtime.config.readLimits);
  return Number.isFinite(perSecond) ? Math.ceil(rows / perSecond) : 0;
}

/**
 * Checks against Feishu of uploads, before anything is written: one per upload, run in the console
 * that was asked, its progress and findings in Redis (any replica shows it), gone with the upload.
 */
export class UploadChecks {
  private readonly running = new Map<string, { controller: AbortController; ended: Promise<void> }>();

  constructor(
    private readonly runtime: HireRuntime,
    private readonly uploads: Uploads,
    private readonly logger: Logger,
  ) {}

  /** Whether a check of this upload runs now (in any console). */
  async isRunning(uploadId: string): Promise<boolean> {
    return (await this.read(uploadId))?.state === 'running';
  }

  /**
   * Starts the check of an upload's valid rows; resolves once it is under way (its progress is
   * read with `read`). A check run before is replaced.
   */
  async start(meta: UploadMeta, startedBy: string): Promise<void> {
    const k = this.runtime.keys.console.upload(meta.uploadId);
    const rows: AcceptedRow[] = [];
    await this.uploads.withFile(meta.uploadId, meta.fileName, (path) =>
      enqueueFile(undefined, {
        operation: meta.operation,
        path,
        batchId: 'check',
        sourceName: meta.fileName,
        ...(meta.encoding ? { encoding: meta.encoding } : {}),
        ...(meta.mapping ? { mapping: meta.mapping } : {}),
        ...(meta.sheet ? { sheet: meta.sheet } : {}),
        // Rows without a type get theirs at confirm; the check does not depend on it.
        ...(meta.operation === 'terminate' ? { defaults: { termination_type: 1 } } : {}),
        onDryRunRow: (row) => rows.push(row),
      }),
    );
    const startedAt = new Date().toISOString();
    await this.runtime.redis
      .multi()
      .del(k.check, k.findings)
      .hset(k.check, {
        state: 'running',
        checked: 0,
        total: rows.length,
        startedAt,
        startedBy,
        heardAt: Date.now(),
        ...Object.fromEntries(verdicts.map((v) => [v, 0])),
      })
      .expire(k.check, UPLOAD_TTL_S)
      .exec();
    const controller = new AbortController();
    this.running.get(meta.uploadId)?.controller.abort();
    const ended = this.run(meta, rows, controller.signal).finally(() => {
      if (this.running.get(meta.uploadId)?.controller === controller) this.running.delete(meta.uploadId);
    });
    this.running.set(meta.uploadId, { controller, ended });
  }

  /**
   * Resolves when the check this console runs for the upload ends, or after `timeoutMs` (a page
   * waiting for the end, not polling for it); at once when this console runs none.
   */
  async ended(uploadId: string, timeoutMs: number): Promise<void> {
    const check = this.running.get(uploadId);
    if (!check) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([check.ended, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async run(meta: UploadMeta, rows: AcceptedRow[], signal: AbortSignal): Promise<void> {
    const k = this.runtime.keys.console.upload(meta.uploadId);
    const counts = new Map<Verdict, number>();
    let found: Record<string, string> = {};
    let checked = 0;
    let flushedAt = Date.now();
    const flush = async (end?: 'done' | 'stopped') => {
      const write = this.runtime.redis.multi();
      if (Object.keys(found).length > 0) write.hset(k.findings, found).expire(k.findings, UPLOAD_TTL_S);
      for (const [verdict, n] of counts) write.hincrby(k.check, verdict, n);
      // Expiring with the upload even if it was confirmed (and removed) meanwhile.
      write
        .hincrby(k.check, 'checked', checked)
        .hset(k.check, 'heardAt', Date.now())
        .expire(k.check, UPLOAD_TTL_S);
      if (end) write.hset(k.check, 'state', end, 'finishedAt', new Date().toISOString());
      counts.clear();
      found = {};
      checked = 0;
      flushedAt = Date.now();
      await write.exec();
    };
    try {
      await checkRows({
        client: this.runtime.client,
        operation: meta.operation,
        rows,
        signal,
        onFinding: async (row, finding) => {
          checked++;
          counts.set(finding.verdict, (counts.get(finding.verdict) ?? 0) + 1);
          if (finding.verdict !== 'wouldSucceed') found[String(row.line)] = JSON.stringify(finding);
          if (Date.now() - flushedAt >= FLUSH_MS) await flush();
        },
      });
      await flush('done');
    } catch (error) {
      if (!signal.aborted) this.logger.error({ err: error, uploadId: meta.uploadId }, 'the check stopped');
      await flush('stopped').catch(() => undefined);
    }
  }

  /** The check of an upload as it stands, or undefined if none was started. */
  async read(uploadId: string): Promise<CheckState | undefined> {
    const k = this.runtime.keys.console.upload(uploadId);
    const [check, findings] = await Promise.all([
      this.runtime.redis.hgetall(k.check),
      this.runtime.redis.hgetall(k.findings),
    ]);
    if (!check.state) return undefined;
    const stale = check.state === 'running' && Date.now() - Number(check.heardAt) > STALE_MS;
    const rows = Object.entries(findings)
      .map(
        ([line, json]) =>
          ({ ...(JSON.parse(json) as RowFinding), line: Number(line) }) as CheckState['rows'][number],
      )
      .sort((a, b) => a.line - b.line);
    return {
      state: stale ? 'stopped' : (check.state as CheckState['state']),
      checked: Number(check.checked),
      total: Number(check.total),
      verdicts: Object.fromEntries(verdicts.map((v) => [v, Number(check[v] ?? 0)])) as CheckState['verdicts'],
      rows,
      startedAt: check.startedAt ?? '',
      startedBy: check.startedBy ?? '',
      ...(check.finishedAt ? { finishedAt: check.finishedAt } : {}),
    };
  }

  /**
   * The outcome each left-out row is recorded with at confirm: the check's finding, no call made.
   * Lines whose finding is not among `leaveOut` run as usual.
   */
  async leftOut(
    uploadId: string,
    leaveOut: readonly LeavableVerdict[],
    { adopt = false }: { adopt?: boolean } = {},
  ): Promise<Map<number, Omit<JobOutcome, 'finishedAt'>>> {
    const out = new Map<number, Omit<JobOutcome, 'finishedAt'>>();
    if (leaveOut.length === 0) return out;
    const findings = await this.runtime.redis.hgetall(this.runtime.keys.console.upload(uploadId).findings);
    for (const [line, json] of Object.entries(findings)) {
      const finding = JSON.parse(json) as RowFinding;
      if (finding.verdict === 'wouldSucceed' || finding.verdict === 'unchecked') continue;
      if (!leaveOut.includes(finding.verdict)) continue;
      // Adopting wins over leaving out: the worker takes the application the check found.
      if (adopt && finding.why === 'duplicate') continue;
      out.set(Number(line), {
        status: finding.verdict === 'alreadyDone' ? 'alreadyDone' : 'skipped',
        code: finding.code ?? `CHECK_${finding.verdict.toUpperCase()}`,
        message: `left out at confirm: the check before writing found ${describe(finding.verdict)}: ${finding.reason}; no call made`,
        ...(finding.applicationId ? { applicationId: finding.applicationId } : {}),
      });
    }
    return out;
  }

  /** Stops the check of an upload, if this console runs one (the upload was confirmed or dropped). */
  stop(uploadId: string): void {
    this.running.get(uploadId)?.controller.abort();
  }

  /** Stops the checks this console runs (they show as stopped). */
  stopAll(): void {
    for (const { controller } of this.running.values()) controller.abort();
  }
}

function describe(verdict: LeavableVerdict): string {
  if (verdict === 'alreadyDone') return 'it already done';
  if (verdict === 'wouldFail') return 'it would fail';
  return 'it would be skipped';
}
