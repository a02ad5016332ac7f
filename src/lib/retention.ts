/**
 * How long hire-queue keeps what a batch leaves in Redis: its rows, outcomes, control, attempt
 * journals, notices, failed jobs and dead letters. Every key a batch writes expires this long after
 * its last write, whoever writes it; the index of batches and the dead-letter queue are pruned to
 * it. The ledger keeps its own, longer retention (`ApplicationLedger.retentionDays`).
 */
export const BATCH_RETENTION_S = 30 * 86_400;
