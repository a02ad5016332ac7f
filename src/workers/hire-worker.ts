import { clearFleetHalt, readFleetHalt, recordFleetHalt } from '../lib/fleet/fleet-halt';
import { pruneDeadLetters } from '../lib/batches/dead-letters';
import { setMaxListeners } from 'node:events';
import { Worker } from 'bullmq';
import type { Classification } from '../lib/feishu/classify-outcome';
import { FleetFatalError } from '../lib/errors/fleet-fatal-error';
import { WorkerStoppingError } from '../lib/errors/worker-stopping-error';
import { BatchNotifier } from '../lib/fleet/batch-notifier';
import type { HireJobData } from '../lib/model/hire-job';
import type { HireRuntime } from '../lib/runtime/hire-runtime';
import type { Operation } from '../lib/feishu/hire-schemas';
import type { JobOutcome } from '../lib/model/job-outcome';
import { silentLogger, type Logger } from '../lib/logger';
import { processHireJob } from '../lib/jobs/process-hire-job';
import { handlerOf } from '../lib/operations/operation-handlers';
import { logJobEvents } from './log-job-events';
import { countJobEvents } from './count-job-events';
import { finishedJobRetention } from '../lib/queues/hire-queues';
import { createRedis } from '../lib/redis/redis-connection';
import { ConfigError } from '../lib/errors/config-error';
import { sustainedPerSecond } from '../lib/limiter/rate-limit-spec';
import {
  ATTEMPTS_CEILING,
  backoffDelayMs,
  defaultRetryPolicy,
  type RetryPolicy,
} from '../lib/queues/retry-policy';

/**
 * Jobs each worker runs at once. Enough to keep the limiter's slots busy at ~0.5 s per call
 * (rate x 0.5 s + 2): create 27 for 50/s, terminate 12 for 20/s.
 */
export function defaultConcurrency(runtime: HireRuntime, operation: Operation): number {
  const caps = handlerOf(operation).limitsOf(runtime.config);
  const perSecond = sustainedPerSecond(caps);
  return Math.min(MAX_DEFAULT_CONCURRENCY, Math.max(1, Math.ceil(perSecond * 0.5) + 2));
}

/**
 * The most jobs a worker runs at once unless told otherwise, whatever the limits say: past it,
 * more jobs in flight only add memory and Redis traffic (limits lifted, they made 50,002).
 */
export const MAX_DEFAULT_CONCURRENCY = 50;

export interface StartWorkersOptions {
  /** One set of workers per runtime: their log lines and counts listen on its job events. */
  runtime: HireRuntime;
  /** @default ['create', 'terminate'] */
  operations?: Operation[];
  /** Per worker; @default defaultConcurrency */
  concurrency?: number;
  /** How many attempts a job gets and how they back off; decided here, not when jobs are enqueued. @default defaultRetryPolicy */
  policy?: Partial<RetryPolicy>;
  /** How long a job's lock lasts without renewal; a killed worker's jobs run again after it. @default 30_000 */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. @default lockDurationMs / 2 */
  stalledIntervalMs?: number;
  logger?: Logger;
}

export interface RunningWorkers {
  workers: Worker<HireJobData, JobOutcome>[];
  /** Settles when the fleet had to stop (credentials, scope, quota...). */
  fatal: Promise<FleetFatalError>;
  /**
   * Stops taking jobs, lets calls in flight finish and be recorded, releases jobs whose call has not
   * left, and closes the workers' connections (not the runtime's).
   */
  close(): Promise<void>;
}

/**
 * Fetches a token with this process's id and secret. Feishu refusing them throws (the process
 * must not start); Feishu unreachable only warns, and workers wait for it like for any outage.
 */
export async function verifyCredentials(runtime: HireRuntime, logger: Logger = silentLogger): Promise<void> {
  try {
    await runtime.client.token.verify();
  } catch (error) {
    if (error instanceof FleetFatalError) throw error;
    logger.warn({ err: (error as Error).message }, 'could not check the credentials now; going on');
  }
}

/** Starts one BullMQ worker per operation; each job goes producer → queue → here → Feishu → outcome. */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { runtime } = options;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.policy };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1 || policy.attempts > ATTEMPTS_CEILING)
    throw new ConfigError(`policy.attempts must be a whole number from 1 to ${ATTEMPTS_CEILING}`);
  const logger = options.logger ?? silentLogger;
  const operations = options.operations ?? ['create', 'terminate'];
  const { queues, batches } = runtime;
  const lockDuration = options.lockDurationMs ?? 30_000;

  // This process's own credentials, before any job: a wrong secret must not run on the fleet's token.
  await verifyCredentials(runtime, logger);

  // A halt recorded by an earlier run ends when workers are started again (after the fix).
  const halt = await readFleetHalt(runtime.redis, runtime.keys);
  if (halt !== null) {
    logger.warn({ halt }, 'resuming queues paused by an earlier fleet halt');
    await clearFleetHalt(runtime.redis, runtime.keys);
    await Promise.all([queues.create.resume(), queues.terminate.resume()]);
  }

  const { notifyWebhook, notifySecret } = runtime.config;
  const notifier = notifyWebhook
    ? new BatchNotifier(
        runtime,
        { webhook: notifyWebhook, secret: notifySecret },
        logger,
        runtime.config.consoleUrl,
      )
    : undefined;
  // What happens to jobs is told once, where it is recorded; these listen (until `close`).
  const { events } = runtime.jobState;
  const unsubscribe = [
    logJobEvents(events, logger),
    countJobEvents(events, runtime.metrics),
    ...(notifier
      ? [
          events.on('outcomeRecorded', ({ job }) =>
            job.batchId === undefined ? undefined : notifier.batchMayHaveEnded(job.batchId),
          ),
        ]
      : []),
  ];

  const stopping = new AbortController();
  // Every job waiting for a limiter slot listens on it: as many listeners as jobs in flight.
  setMaxListeners(0, stopping.signal);
  let reportFatal: (error: FleetFatalError) => void = () => undefined;
  const fatal = new Promise<FleetFatalError>((resolve) => (reportFatal = resolve));
  const onFatal = async (classification: Classification) => {
    const scope = classification.scope ?? 'fleet';
    const error = new FleetFatalError(
      classification.fix ?? 'check the app configuration',
      Number(classification.code) || undefined,
      scope === 'process'
        ? `Feishu refused this process: ${classification.code} ${classification.message}`
        : `Feishu refused every call of the app: ${classification.code} ${classification.message}`,
      scope,
    );
    if (scope === 'fleet') {
      await recordFleetHalt(runtime.redis, runtime.keys, {
        code: classification.code,
        message: classification.message,
        fix: classification.fix ?? 'check the app configuration',
      });
      await Promise.all([queues.create.pause(), queues.terminate.pause()]);
      logger.error({ code: classification.code, fix: classification.fix }, 'fleet halted');
      await notifier?.fleetHalted(classification);
    } else {
      // This machine's own mistake: stop taking jobs here; the rest of the fleet goes on.
      stopping.abort(new WorkerStoppingError());
      logger.error({ code: classification.code, fix: classification.fix }, 'this process stops');
    }
    reportFatal(error);
  };

  const connections = operations.map((operation) =>
    createRedis(runtime.config, { name: `hire-queue-worker-${operation}` }),
  );
  const workers = operations.map(
    (operation, i) =>
      new Worker<HireJobData, JobOutcome>(
        operation,
        (job, token) =>
          processHireJob(job, token, {
            client: runtime.client,
            state: runtime.jobState,
            batches,
            queues,
            updatedSince: runtime.updatedSince,
            stopping: stopping.signal,
            policy,
            logger,
            onFatal,
          }),
        {
          connection: connections[i]!,
          prefix: runtime.config.queuePrefix,
          concurrency: options.concurrency ?? defaultConcurrency(runtime, operation),
          lockDuration,
          ...finishedJobRetention,
          stalledInterval: options.stalledIntervalMs ?? Math.max(1000, Math.floor(lockDuration / 2)),
          // A crash is not the job's fault: reconciliation makes running it again safe.
          maxStalledCount: 10,
          settings: { backoffStrategy: (attemptsMade: number) => backoffDelayMs(attemptsMade, policy) },
        },
      ),
  );
  for (const worker of workers) {
    worker.on('error', (error) =>
      logger.warn({ err: error.message }, 'worker error (Redis unavailable?); waiting'),
    );
    worker.on('failed', (job, error) =>
      logger.info(
        { jobId: job?.id, batchId: job?.data.batchId, attempt: job?.attemptsMade, err: error.message },
        'attempt failed; will retry',
      ),
    );
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  // Dead letters older than the retention go, as every batch key does: at start, then hourly.
  const prune = () =>
    void pruneDeadLetters(queues.deadLetter)
      .then((n) => n > 0 && logger.info({ deadLetters: n }, 'dead letters past the retention deleted'))
      .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'dead-letter prune failed'));
  prune();
  const pruning = setInterval(prune, 3_600_000).unref();

  return {
    workers,
    fatal,
    close: async () => {
      // Calls already sent finish and are recorded; jobs still waiting for a slot or a retry go
      // back to the queue at once, so another worker (or this command run again) takes them now.
      stopping.abort(new WorkerStoppingError());
      clearInterval(pruning);
      await Promise.all(workers.map((w) => w.close()));
      for (const off of unsubscribe) off();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
