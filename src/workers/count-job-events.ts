import type { JobEvents } from '../lib/job-state/job-events';
import type { HireMetrics } from '../lib/metrics/hire-metrics';

/** `hire_queue_jobs_total` by operation, outcome and code. Resolves with the unsubscribe. */
export function countJobEvents(events: JobEvents, metrics: HireMetrics): () => void {
  const offOutcome = events.on('outcomeRecorded', ({ job, outcome }) =>
    metrics.jobs.inc({
      operation: job.operation,
      outcome: outcome.status,
      code: outcome.code ?? (outcome.status === 'succeeded' ? '0' : ''),
    }),
  );
  const offDropped = events.on('jobDropped', ({ job }) =>
    metrics.jobs.inc({ operation: job.operation, outcome: 'lost', code: 'BATCH_LOST' }),
  );
  return () => {
    offOutcome();
    offDropped();
  };
}
