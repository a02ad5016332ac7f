import type { Operation } from '../feishu/hire-schemas';
import type { JobOutcome } from '../model/job-outcome';

/** The job an event is about, as far as it could be read. */
export interface JobRef {
  jobId: string;
  operation: Operation;
  batchId?: string | undefined;
  /** The row's number in its batch. */
  line?: number | undefined;
  /** This run's attempt, from 1. */
  attempt: number;
  /** When this run took the job (ms since epoch). */
  startedAtMs?: number | undefined;
}

export interface JobEventMap {
  /** An outcome was recorded by this run (not one another run had recorded first). */
  outcomeRecorded: { job: JobRef; outcome: JobOutcome };
  /** A job whose batch is gone was dropped with no call and no outcome (see `hire-queue status`). */
  jobDropped: { job: JobRef; batchId: string };
}

type Listener<T> = (event: T) => void | Promise<void>;

/**
 * What happens to jobs, for whoever watches: the log line, the counts and the group bot subscribe
 * here instead of being called where outcomes are recorded. A listener's failure is its own: an
 * outcome recorded stays recorded (listeners log their own errors).
 */
export class JobEvents {
  private readonly listeners: { [E in keyof JobEventMap]: Set<Listener<JobEventMap[E]>> } = {
    outcomeRecorded: new Set(),
    jobDropped: new Set(),
  };

  /** Resolves with the function that unsubscribes. */
  on<E extends keyof JobEventMap>(event: E, listener: Listener<JobEventMap[E]>): () => void {
    const set = this.listeners[event] as Set<Listener<JobEventMap[E]>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Tells every listener, and waits for those that answer with a promise. */
  async emit<E extends keyof JobEventMap>(event: E, payload: JobEventMap[E]): Promise<void> {
    const set = this.listeners[event] as Set<Listener<JobEventMap[E]>>;
    if (set.size === 0) return;
    await Promise.allSettled([...set].map(async (listener) => listener(payload)));
  }
}
