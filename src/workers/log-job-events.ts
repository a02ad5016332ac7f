import type { JobEvents } from '../lib/job-state/job-events';
import type { Logger } from '../lib/logger';

/** One log line per outcome recorded and per job dropped. Resolves with the unsubscribe. */
export function logJobEvents(events: JobEvents, logger: Logger): () => void {
  const offOutcome = events.on('outcomeRecorded', ({ job, outcome }) =>
    logger.info(
      {
        jobId: job.jobId,
        batchId: job.batchId,
        operation: job.operation,
        line: job.line,
        outcome: outcome.status,
        code: outcome.code ?? (outcome.status === 'succeeded' ? '0' : ''),
        logId: outcome.logId,
        attempt: job.attempt,
        ...(job.startedAtMs !== undefined ? { durationMs: Date.now() - job.startedAtMs } : {}),
      },
      'job finished',
    ),
  );
  const offDropped = events.on('jobDropped', ({ job, batchId }) =>
    logger.error(
      { jobId: job.jobId, batchId, operation: job.operation, row: job.line },
      'job of a lost batch dropped, no call made: its batch is no longer in Redis (expired or deleted)',
    ),
  );
  return () => {
    offOutcome();
    offDropped();
  };
}
