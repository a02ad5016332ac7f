import type { Queue } from 'bullmq';
import { BATCH_RETENTION_S } from '../retention';
import type { ApplicationLedger, LedgerEntry } from '../ledger/application-ledger';
import type { BatchControl, ExistingPolicy } from '../model/batch-state';
import type { DeadLetter } from '../model/dead-letter';
import type { JobOutcome } from '../model/job-outcome';
import { parseStoredRow } from '../model/stored-row';
import { BatchedScript } from '../redis/batched-script';
import { defineScript } from '../redis/lua-script';
import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import {
  JOURNAL_TTL_MS,
  journalStateOf,
  type AttemptRecord,
  type CallEnd,
  type JournalState,
} from './attempt-journal';
import { JobEvents, type JobRef } from './job-events';

export const openJobScript = defineScript({
  name: 'open-job',
  keys: ['meta', 'outcomes', 'rows', 'admission'],
  args: ['jobId', 'row', 'admission'],
  read: (reply) => reply as [string | null, string | null, string | null, string | null, number, number],
});

export const admitCallScript = defineScript({
  name: 'admit-call',
  keys: ['meta', 'inFlight', 'journal'],
  args: ['jobId', 'retentionS', 'begin'],
  read: (reply) => (reply as [BatchControl, number?])[0],
});

export const endCallScript = defineScript({
  name: 'end-call',
  keys: ['inFlight', 'journal', 'journalLog'],
  args: ['jobId', 'mayHaveTakenEffect', 'serverOffsetMs', 'failure'],
});

export const recordOutcomeScript = defineScript({
  name: 'record-outcome',
  keys: ['outcomes', 'counts', 'inFlight', 'ledger', 'forget'],
  args: ['jobId', 'outcome', 'status', 'ledgerKeys', 'retentionS', 'entries'],
  read: (reply) => reply === 1,
});

export const parkJobScript = defineScript({
  name: 'park-job',
  keys: ['meta', 'parked'],
  args: ['jobId', 'row', 'retentionS'],
  read: (reply) => reply as BatchControl,
});

/** What a worker reads of its job and its batch before the call (see `JobState.open`). */
export interface JobReading {
  /** Set when the job already ended (a worker died after recording it): no call. */
  outcome: JobOutcome | undefined;
  control: BatchControl;
  existing: ExistingPolicy;
  /** The row's input as stored (undefined when the batch lost it, or for a job carrying its own). */
  input: unknown;
  /** Where the row came from: its source's number in the batch and its line there. */
  origin?: { source: number; line: number };
  /** The call was admitted and begun in the job's journal in the same step. */
  admitted: boolean;
  /** False when the batch's record is gone (expired, deleted, or lost by Redis): the job is an orphan. */
  batchKnown: boolean;
}

/** A job ending, as the events name it: with its batch (a job of unreadable data may have none). */
export type EndingJob = JobRef;

/**
 * The one owner of a job's state changes. A job's state lives in its batch (control, the in-flight
 * set, outcomes and counts, parked jobs), its attempt journal, the ledger and the dead-letter
 * queue; every write to them that a job's life makes is a method here, each one Redis step (a
 * script) unless said otherwise. Recording an outcome tells `events`.
 */
export class JobState {
  readonly events = new JobEvents();
  /** Each runs once per job: the calls of a turn go to Redis together. */
  private readonly openings: BatchedScript<
    'meta' | 'outcomes' | 'rows' | 'admission',
    'jobId' | 'row' | 'admission',
    [string | null, string | null, string | null, string | null, number, number]
  >;
  private readonly outcomeRecords: BatchedScript<
    'outcomes' | 'counts' | 'inFlight' | 'ledger' | 'forget',
    'jobId' | 'outcome' | 'status' | 'ledgerKeys' | 'retentionS' | 'entries',
    boolean
  >;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly deadLetters: Queue<DeadLetter>,
    private readonly ledger: ApplicationLedger,
  ) {
    this.openings = new BatchedScript(redis, openJobScript);
    this.outcomeRecords = new BatchedScript(redis, recordOutcomeScript);
  }

  private journalKeys(jobId: string): [string, string] {
    return [this.keys.attempts(jobId), this.keys.attemptLog(jobId)];
  }

  /**
   * Opens a job, in one step: its outcome if it has one, its batch's control and duplicate policy,
   * its row's stored input (`row` undefined for a job that carries its input). With `admit`, a call
   * that leaves right after this read is also admitted and begun in the journal.
   */
  async open(batchId: string, jobId: string, row: number | undefined, admit: boolean): Promise<JobReading> {
    const k = this.keys.batch(batchId);
    const [outcome, control, existing, stored, admitted, batchKnown] = await this.openings.run(
      {
        meta: k.meta,
        outcomes: k.outcomes,
        rows: k.rows,
        admission: admit ? [k.inFlight, ...this.journalKeys(jobId)] : [],
      },
      {
        jobId,
        row: row === undefined ? '' : String(row),
        admission: admit ? [BATCH_RETENTION_S, Date.now(), JOURNAL_TTL_MS] : [],
      },
    );
    const parsed = stored && row !== undefined ? parseStoredRow(stored, row) : undefined;
    return {
      outcome: outcome ? (JSON.parse(outcome) as JobOutcome) : undefined,
      control: (control as BatchControl | null) ?? 'running',
      existing: (existing as ExistingPolicy | null) ?? 'dead-letter',
      input: parsed?.input !== undefined ? (JSON.parse(parsed.input) as unknown) : undefined,
      ...(parsed ? { origin: { source: parsed.source, line: parsed.line } } : {}),
      admitted: admitted === 1,
      batchKnown: batchKnown === 1,
    };
  }

  /**
   * May this job's call start now? Resolves with the batch's control; `running` also notes the call
   * in flight and, with `begin`, begins it in the journal in the same step. Without `begin` it only
   * checks again a call already begun.
   */
  async admitCall(batchId: string, jobId: string, begin: boolean): Promise<BatchControl> {
    const k = this.keys.batch(batchId);
    return admitCallScript.run(
      this.redis,
      { meta: k.meta, inFlight: k.inFlight, journal: begin ? this.journalKeys(jobId) : [] },
      { jobId, retentionS: BATCH_RETENTION_S, begin: begin ? [Date.now(), JOURNAL_TTL_MS] : [] },
    );
  }

  /** A call admitted but not sent, or sent and answered: out of the batch's in flight, its end journalled. */
  async endCall(batchId: string, jobId: string, ended: CallEnd): Promise<void> {
    const [journal, journalLog] = this.journalKeys(jobId);
    await endCallScript.run(
      this.redis,
      { inFlight: this.keys.batch(batchId).inFlight, journal, journalLog },
      {
        jobId,
        mayHaveTakenEffect: ended.mayHaveTakenEffect ? 1 : 0,
        serverOffsetMs: ended.serverDateMs === undefined ? '' : ended.serverDateMs - Date.now(),
        failure: ended.failure ? JSON.stringify(ended.failure) : '',
      },
    );
  }

  /** Forgets a call admitted at `open` that will not be made (no call, and no outcome to end it). */
  async discardCall(jobId: string): Promise<void> {
    await this.redis.del(...this.journalKeys(jobId));
  }

  async journal(jobId: string): Promise<JournalState> {
    return journalStateOf(await this.redis.hgetall(this.keys.attempts(jobId)));
  }

  async failures(jobId: string): Promise<AttemptRecord[]> {
    const log = await this.redis.lrange(this.keys.attemptLog(jobId), 0, -1);
    return log.map((line) => JSON.parse(line) as AttemptRecord);
  }

  /** Sets the job aside while its batch is paused (by row, to resume in order); resolves with the control. */
  async park(batchId: string, jobId: string, row: number): Promise<BatchControl> {
    const k = this.keys.batch(batchId);
    return parkJobScript.run(
      this.redis,
      { meta: k.meta, parked: k.parked },
      { jobId, row, retentionS: BATCH_RETENTION_S },
    );
  }

  /**
   * Records how a job ended, in one step with the end of its call and its journal, and the
   * application it made or adopted in the ledger. Recorded once: when another run of the job (one
   * that outlived its lock) recorded first, its outcome stands and is what this resolves with.
   */
  async finish(
    job: EndingJob & { batchId: string },
    outcome: JobOutcome,
    made?: LedgerEntry,
  ): Promise<JobOutcome> {
    const recorded = await this.record(job.batchId, job.jobId, outcome, made);
    if (recorded) {
      await this.events.emit('outcomeRecorded', { job, outcome });
      return outcome;
    }
    return (await this.outcomeOf(job.batchId, job.jobId)) ?? outcome;
  }

  /**
   * Dead-letters a job: the letter (kept in the dead-letter queue, which Bull Board shows and
   * `dlq replay` reads) and the outcome. Two stores, so two steps: the letter first, so a crash
   * cannot leave a dead-lettered row without its letter; a letter whose job another run ended
   * otherwise first is taken back. A job of unreadable data without a batch only gets its letter.
   */
  async deadLetter(job: EndingJob, letter: DeadLetter, outcome: JobOutcome): Promise<JobOutcome> {
    // Under the job's own id: a job dead-lettered twice (after a crash) is one letter.
    await this.deadLetters.add(letter.operation, letter, {
      jobId: letter.jobId,
      removeOnComplete: false,
      removeOnFail: false,
    });
    if (job.batchId === undefined) return outcome;
    const standing = await this.finish({ ...job, batchId: job.batchId }, outcome);
    if (standing !== outcome && standing.status !== 'deadLettered')
      await this.deadLetters.remove(letter.jobId);
    return standing;
  }

  /**
   * Records an outcome decided without a call, by a producer: `cancelled` by a cancel, `alreadyDone`
   * for a row the ledger knows. Resolves false when the job had one already. Not an event: no run
   * of the job ended.
   */
  async recordOutcome(batchId: string, jobId: string, outcome: JobOutcome): Promise<boolean> {
    // The journal stays: a worker may hold the job mid-call, and ends the call itself.
    return this.record(batchId, jobId, outcome, undefined, false);
  }

  /** How the job ended, if it has. */
  async outcomeOf(batchId: string, jobId: string): Promise<JobOutcome | undefined> {
    const raw = await this.redis.hget(this.keys.batch(batchId).outcomes, jobId);
    return raw === null ? undefined : (JSON.parse(raw) as JobOutcome);
  }

  /**
   * A job whose batch is gone: dropped with no call, counted under its batch for `status`
   * (expiring like a batch). Resolves with what its run answers (not recorded: there is no batch).
   */
  async dropLost(job: EndingJob & { batchId: string }): Promise<JobOutcome> {
    await this.redis
      .multi()
      .hincrby(this.keys.lostBatches, job.batchId, 1)
      .expire(this.keys.lostBatches, BATCH_RETENTION_S)
      .exec();
    await this.events.emit('jobDropped', { job, batchId: job.batchId });
    return {
      status: 'cancelled',
      code: 'BATCH_LOST',
      message: `batch ${job.batchId} is no longer in Redis`,
      finishedAt: new Date().toISOString(),
    };
  }

  private async record(
    batchId: string,
    jobId: string,
    outcome: JobOutcome,
    made?: LedgerEntry,
    endsJournal = true,
  ): Promise<boolean> {
    const k = this.keys.batch(batchId);
    const ledger = made ? this.ledger.writeOf([made]) : undefined;
    const recorded = await this.outcomeRecords.run(
      {
        outcomes: k.outcomes,
        counts: k.counts,
        inFlight: k.inFlight,
        ledger: ledger?.keys ?? [],
        forget: endsJournal ? this.journalKeys(jobId) : [],
      },
      {
        jobId,
        outcome: JSON.stringify(outcome),
        status: outcome.status,
        ledgerKeys: ledger ? 2 : 0,
        retentionS: BATCH_RETENTION_S,
        entries: ledger?.args ?? [],
      },
    );
    if (ledger) await this.ledger.written(ledger);
    return recorded;
  }
}
