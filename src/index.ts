/** hire-queue as a library: enqueue from your own code, run workers, read reports. */
export { HireQueueProducer, type EnqueueResult } from './producers/hire-queue-producer';
export { startWorkers, type RunningWorkers, type StartWorkersOptions } from './workers/hire-worker';
export { createRuntime, type HireRuntime } from './lib/hire-runtime';
export { loadConfig, defaultConfig, type HireQueueConfig } from './lib/config';
export type { BatchReport } from './lib/batches/batch-report';
export type { DeadLetter } from './lib/batches/dead-letters';
export type { JobOutcome, JobStatus } from './lib/jobs/job-outcome';
export { classifyOutcome, codeRules, type OutcomeKind } from './lib/feishu/classify-outcome';
export { HireQueueError } from './lib/errors/hire-queue-error';
export type { CreateApplicationInput, TerminateApplicationInput, Operation } from './lib/feishu/hire-schemas';
export { startSandbox, type Sandbox } from './sandbox/sandbox-server';
