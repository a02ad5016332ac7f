import { BATCH_RETENTION_S } from '../retention';
import type { AttemptRecord } from '../model/dead-letter';

export type { AttemptRecord } from '../model/dead-letter';

/**
 * What the journal knows about a job's calls so far. The journal is a durable note, in Redis, that
 * a call is about to be made, written before the call: a job picked up again after its worker died
 * mid-call finds `inFlight` still set, and so knows its last call is ambiguous. This is what lets a
 * 1002206 or 1002221 be judged instead of guessed. Only `JobState` writes it.
 */
export interface JournalState {
  /** When the first call of the job began (worker clock), if one did. */
  firstCallAtMs: number | undefined;
  /**
   * A call of this job may have taken effect: it succeeded (its outcome may not be recorded), it
   * got no answer or an ambiguous one, or its worker died mid-call.
   */
  ambiguous: boolean;
  /** Feishu's clock minus ours, from the last answer's `Date` header. */
  serverOffsetMs: number;
  calls: number;
}

/** How a call ended, as its journal notes it. */
export interface CallEnd {
  /**
   * False only for an answer that says for sure it did not (a 4xx business error, a 429): a success
   * counts too, so a worker that dies before recording it leaves the job to be reconciled rather
   * than called again blind.
   */
  mayHaveTakenEffect: boolean;
  serverDateMs?: number | undefined;
  failure?: AttemptRecord | undefined;
}

/** A journal lives as long as its batch's keys: a job may wait that long for a retry. */
export const JOURNAL_TTL_MS = BATCH_RETENTION_S * 1000;

export function journalStateOf(fields: Record<string, string>): JournalState {
  return {
    firstCallAtMs: fields.firstCallAtMs === undefined ? undefined : Number(fields.firstCallAtMs),
    ambiguous: fields.ambiguous === '1',
    serverOffsetMs: Number(fields.serverOffsetMs ?? 0),
    calls: Number(fields.calls ?? 0),
  };
}
