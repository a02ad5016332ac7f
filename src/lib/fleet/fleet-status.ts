import { Approvals } from '../access/approvals';
import { readFleetHalt, type FleetHalt } from './fleet-halt';
import type { BatchState } from '../batches/batch-store';
import type { JobStatus } from '../model/job-outcome';
import type { HireRuntime } from '../runtime/hire-runtime';
import type { LimitedEndpoint } from '../limiter/fleet-rate-limiter';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface FleetStatus {
  /** Jobs per state in each queue; `paused` holds the waiting ones while a queue is paused. */
  queues: Record<'create' | 'terminate' | 'dead-letter', Record<string, number>>;
  /** Workers connected per queue, as BullMQ sees them. */
  workers: { create: number; terminate: number };
  /** The fleet halt and its fix, when the queues are paused by one. */
  halt: FleetHalt | null;
  /**
   * Per endpoint: blocked by a 429 until when, the margin in use (learned by the fleet, or fixed),
   * and the share of the documented rate that margin leaves.
   */
  limiter: Record<
    LimitedEndpoint,
    { blockedUntil: string | null; marginMs: number; allowance: number; limits: string }
  >;
  /** Batches whose jobs outlived them (expired or deleted mid-run): jobs dropped, no call made. */
  lostBatches: Record<string, number>;
  /** Batches confirmed in the console that wait for (or were refused) a second person's approval: nothing enqueued. */
  approvals: {
    batchId: string;
    operation: string;
    state: string;
    rows: number;
    requestedBy: string;
    requestedAt: string;
    reason?: string;
  }[];
  batches: {
    batchId: string;
    operation: string;
    state: BatchState;
    /** False while rows are still being added, or when a producer stopped before the end of its input. */
    allRowsIn: boolean;
    /** Rows the batch holds (its report's total), the jobs they make (a repeated row shares one), and jobs done. */
    rows: number;
    jobs: number;
    done: number;
    counts: Record<JobStatus | 'pending', number>;
    ratePerSecond: number;
    /** Seconds left at the faster of the rate so far and the limit; null when done or unknown. */
    etaSeconds: number | null;
  }[];
}

/** The fleet at a glance, from Redis alone: what `hire-queue status` prints. */
export async function fleetStatus(runtime: HireRuntime, recentBatches = 10): Promise<FleetStatus> {
  const { queues, redis, keys, batches, limiter, config } = runtime;
  const queueCounts = async (queue: typeof queues.create | typeof queues.deadLetter) => {
    const [counts, paused] = await Promise.all([queue.getJobCounts(...STATES), queue.isPaused()]);
    return { ...counts, paused: paused ? (counts.waiting ?? 0) + (counts.prioritized ?? 0) : 0 };
  };
  const [create, terminate, deadLetter, createWorkers, terminateWorkers, halt] = await Promise.all([
    queueCounts(queues.create),
    queueCounts(queues.terminate),
    queueCounts(queues.deadLetter),
    queues.create.getWorkersCount(),
    queues.terminate.getWorkersCount(),
    readFleetHalt(redis, keys),
  ]);
  const limits = { create: config.createLimits, terminate: config.terminateLimits, read: config.readLimits };
  const limiterState = {} as FleetStatus['limiter'];
  for (const endpoint of ['create', 'terminate', 'read'] as const) {
    const state = await limiter.state(endpoint);
    limiterState[endpoint] = {
      blockedUntil: state.blockedUntilMs > Date.now() ? new Date(state.blockedUntilMs).toISOString() : null,
      marginMs: Math.round(state.marginMs * 10) / 10,
      allowance: state.allowance,
      limits: limits[endpoint].map((l) => `${l.limit}/${l.windowMs}ms`).join(','),
    };
  }
  const recent = [];
  for (const batchId of await batches.listBatchIds(recentBatches)) {
    const [meta, progress] = await Promise.all([batches.meta(batchId), batches.progress(batchId)]);
    if (!meta) continue;
    const elapsedS = Math.max(0.001, ((meta.finishedAtMs ?? Date.now()) - meta.createdAtMs) / 1000);
    const rate = progress.done / elapsedS;
    const pending = Math.max(0, progress.jobs - progress.done);
    const capPerSecond = Math.min(...limits[meta.operation].map((c) => (c.limit * 1000) / c.windowMs));
    const pace = Math.max(rate, progress.state === 'running' ? capPerSecond : 0);
    recent.push({
      batchId,
      operation: meta.operation,
      state: progress.state,
      allRowsIn: meta.sealed || progress.state === 'cancelled',
      rows: progress.rows,
      jobs: progress.jobs,
      done: progress.done,
      counts: { ...progress.counts, pending },
      ratePerSecond: Math.round(rate * 10) / 10,
      etaSeconds: pending === 0 || pace === 0 ? null : Math.ceil(pending / Math.min(pace, capPerSecond)),
    });
  }
  return {
    queues: { create, terminate, 'dead-letter': deadLetter },
    workers: { create: createWorkers, terminate: terminateWorkers },
    halt,
    limiter: limiterState,
    lostBatches: await batches.lostBatches(),
    approvals: (await new Approvals(redis, keys).unstarted()).map((a) => ({
      batchId: a.batchId,
      operation: a.operation,
      state: a.state,
      rows: a.count,
      requestedBy: a.requestedBy.name,
      requestedAt: a.requestedAt,
      ...(a.reason ? { reason: a.reason } : {}),
    })),
    batches: recent,
  };
}
