import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queue } from 'bullmq';

/** The queues whose depths are reported: BullMQ's, as `HireQueues` holds them. */
type WatchedQueue = Pick<Queue, 'getJobCounts' | 'isPaused'>;
interface WatchedQueues {
  create: WatchedQueue;
  terminate: WatchedQueue;
  deadLetter: WatchedQueue;
}

/** Queue states the depth gauge reports, as BullMQ names them; `paused` is added (see below). */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * The Prometheus metrics of one process, on a registry of its own (several runtimes in one process,
 * as in tests, do not collide). Names are a contract: dashboards and alerts use them.
 */
export class HireMetrics {
  readonly registry = new Registry();

  readonly jobs = new Counter({
    name: 'hire_queue_jobs_total',
    help: 'Jobs that reached their outcome, by operation, outcome and Feishu code',
    labelNames: ['operation', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'hire_queue_feishu_request_duration_seconds',
    help: 'Feishu calls from send to answer, by endpoint and code (NETWORK when none came)',
    labelNames: ['endpoint', 'code'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly limiterWait = new Histogram({
    name: 'hire_queue_limiter_wait_seconds',
    help: "Time a call waited for the fleet limiter's slot, by endpoint",
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'hire_queue_rate_limited_total',
    help: '429 / 99991400 answers received, by endpoint',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly tokenFetches = new Counter({
    name: 'hire_queue_token_fetches_total',
    help: 'tenant_access_token fetched from Feishu by this process',
    registers: [this.registry],
  });

  readonly limiterMargin = new Gauge({
    name: 'hire_queue_limiter_margin_seconds',
    help: 'Safety margin the limiter adds to every window, by endpoint',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  private queues: WatchedQueues | undefined;

  readonly queueJobs = new Gauge({
    name: 'hire_queue_queue_jobs',
    help: 'Jobs in each queue by state (create, terminate, dead-letter)',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      const queues = this.queues;
      if (!queues) return;
      for (const [name, queue] of [
        ['create', queues.create],
        ['terminate', queues.terminate],
        ['dead-letter', queues.deadLetter],
      ] as const) {
        const [counts, paused] = await Promise.all([queue.getJobCounts(...QUEUE_STATES), queue.isPaused()]);
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue: name, state }, counts[state] ?? 0);
        // BullMQ 6 keeps a paused queue's jobs where they were: they are "paused" while it is.
        this.queueJobs.set(
          { queue: name, state: 'paused' },
          paused ? (counts.waiting ?? 0) + (counts.prioritized ?? 0) : 0,
        );
      }
    },
  });

  /** Reports these queues' depths on every scrape. */
  watchQueues(queues: WatchedQueues): void {
    this.queues = queues;
  }

  /** Adds Node's process metrics (CPU, memory, event loop), for a process that serves /metrics. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }
}
