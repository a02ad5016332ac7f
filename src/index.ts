/** hire-queue as a library: enqueue from your own code, run workers, read reports, handle dead letters. */
export { HireQueueProducer, type EnqueueResult } from './producers/hire-queue-producer';
export { enqueueFile, type EnqueueFileOptions, type EnqueueFileResult } from './producers/enqueue-file';
export { startWorkers, type RunningWorkers, type StartWorkersOptions } from './workers/hire-worker';
export {
  createRuntime,
  createQueueRuntime,
  connectRuntime,
  connectQueueRuntime,
  type HireRuntime,
  type QueueRuntime,
} from './lib/runtime/hire-runtime';
export { loadConfig, defaultConfig, type HireQueueConfig } from './lib/config';
export { enqueueBatch, type EnqueueBatchOptions, type EnqueueBatchResult } from './lib/batches/enqueue-batch';
export { waitForBatch, type WaitForBatchOptions } from './lib/batches/wait-for-batch';
export { pauseBatch, resumeBatch, cancelBatch, type ControlResult } from './lib/batches/batch-control';
export type { BatchState, BatchPriority, BatchControl } from './lib/batches/batch-store';
export { buildBatchReport, type BatchReport, type ResultRow } from './lib/batches/batch-report';
export {
  listDeadLetters,
  exportDeadLetters,
  purgeDeadLetters,
  type DeadLetter,
  type DeadLetterFilter,
} from './lib/batches/dead-letters';
export { replayDeadLetters, type ReplayResult } from './producers/replay-dead-letters';
export type { JobOutcome, JobStatus } from './lib/model/job-outcome';
export { defaultRetryPolicy, type RetryPolicy } from './lib/queues/retry-policy';
export { classifyOutcome, type Classification } from './lib/feishu/classify-outcome';
export { codeRules, type CodeRule, type FailureKind } from './lib/feishu/code-rules';
export { HireQueueError, isHireQueueError } from './lib/errors/hire-queue-error';
export type { CreateApplicationInput, TerminateApplicationInput, Operation } from './lib/feishu/hire-schemas';
export { fleetStatus, type FleetStatus } from './lib/fleet/fleet-status';
export { fleetHealth } from './lib/fleet/fleet-health';
export { HireMetrics } from './lib/metrics/hire-metrics';
export { startMetricsServer, type MetricsServer, type Health } from './lib/fleet/metrics-server';
export { startDashboard, type Dashboard, type DashboardOptions } from './lib/fleet/dashboard-server';
export { BatchNotifier, batchEndCard } from './lib/fleet/batch-notifier';
export { postToGroup, signBotMessage, type GroupBot } from './lib/fleet/group-bot';
export { ApplicationLedger, type LedgerEntry } from './lib/ledger/application-ledger';
export { importLedgerEntries } from './lib/ledger/ledger-file';
