/** What batches, jobs and queues share about a batch's state: the words, not the storage. */

/** What an operator asked of a batch. `running` unless paused or cancelled. */
export type BatchControl = 'running' | 'paused' | 'cancelled';

/** Where a batch's rows stand in line against other batches' under the same limit. */
export type BatchPriority = 'high' | 'normal' | 'low';

/** What a create row does when Feishu says an active application of its talent on its job exists. */
export type ExistingPolicy = 'adopt' | 'dead-letter';

/** A batch's state as reports show it: the operator's control, or `finished` once every row is done. */
export type BatchState = 'running' | 'paused' | 'cancelled' | 'finished';
