/**
 * Every non-BullMQ key hire-queue writes, in one place. When the prefix holds a hash tag
 * (`{hire-queue}`, the default) every key lands in one Redis Cluster slot; without one, the
 * limiter's keys still share a tag per app and endpoint, so its script stays single-slot.
 */
export function redisKeys(prefix: string) {
  const hasTag = /\{[^}]+\}/.test(prefix);
  const tag = (inner: string) => (hasTag ? inner : `{${inner}}`);
  return {
    prefix,
    token: (appId: string) => `${prefix}:token:${tag(appId)}`,
    tokenLock: (appId: string) => `${prefix}:token:${tag(appId)}:lock`,
    limiter: (appId: string, endpoint: string) => {
      const base = `${prefix}:limiter:${tag(`${appId}:${endpoint}`)}`;
      return {
        // Sorted sets of send times (lists before 0.2: a new name, not a type clash after an upgrade).
        cap: (windowMs: number) => `${base}:sent:${windowMs}`,
        blockedUntil: `${base}:blocked-until`,
        margin: `${base}:margin`,
        /** Send times of the foreground lane's recent calls (the background lane leaves them room). */
        foreground: `${base}:foreground`,
      };
    },
    attempts: (jobId: string) => `${prefix}:attempts:${tag(jobId)}`,
    /** The failures of a job's calls, oldest first. */
    attemptLog: (jobId: string) => `${prefix}:attempts:${tag(jobId)}:log`,
    batch: (batchId: string) => {
      const base = `${prefix}:batch:${tag(batchId)}`;
      return {
        meta: `${base}:meta`,
        rows: `${base}:rows`,
        /** Before 0.3: a list of rejected rows (appended again by every run of the same batch). */
        invalid: `${base}:invalid`,
        /** Rows rejected by validation, by line: a batch run again replaces them, a fixed row leaves. */
        invalidLines: `${base}:invalid-lines`,
        outcomes: `${base}:outcomes`,
        counts: `${base}:counts`,
        /** Before 0.3: the batch's job ids. */
        jobs: `${base}:jobs`,
        /** Input digest -> first line with that input, while rows are being added. */
        digests: `${base}:digests`,
        inFlight: `${base}:in-flight`,
        /** Set once the group was told the batch ended. */
        notified: `${base}:meta:notified`,
        parked: `${base}:parked`,
      };
    },
    batches: `${prefix}:batches`,
    /** Numbers batches as they open: a batch's number names its jobs. */
    batchSeq: `${prefix}:batch-seq`,
    /** Applications hire-queue created or adopted, by talent and job; kept beyond batch retention. */
    ledger: { entries: `${prefix}:ledger`, byTime: `${prefix}:ledger:by-time` },
    fleetHalt: `${prefix}:fleet-halt`,
    /** Set once the group was told of the current halt. */
    fleetHaltNotified: `${prefix}:fleet-halt:notified`,
    /**
     * A job's applications updated since a close-out's cutoff, as the fleet last listed them: the
     * set, and when that listing began (Redis clock), and who is listing now.
     */
    updatedSince: (jobId: string, cutoffMs: number) => {
      const base = `${prefix}:updated-since:${tag(`${jobId}:${cutoffMs}`)}`;
      return {
        ids: `${base}:ids`,
        listed: `${base}:listed`,
        lock: `${base}:lock`,
        members: `${base}:members`,
      };
    },
    /** Batches whose jobs outlived them (the batch expired or was deleted), with how many were dropped. */
    lostBatches: `${prefix}:lost-batches`,
    /** The console's state: sessions, who signed in and their roles, the audit, who started a batch. */
    console: {
      /** A session is this prefix plus its id. */
      sessionPrefix: `${prefix}:console:session:`,
      /** The cookie-signing secret of consoles started without `HIRE_CONSOLE_SESSION_SECRET` on loopback. */
      sessionSecret: `${prefix}:console:session-secret`,
      /** open id -> `{ name, role, lastSeenAt }` of everyone who signed in. */
      people: `${prefix}:console:people`,
      /** A stream of audit entries, oldest trimmed past the audit's retention. */
      audit: `${prefix}:console:audit`,
      /** batch id -> `{ openId, name }` of who confirmed a batch started in the console. */
      batchOwners: `${prefix}:console:batch-owners`,
      /** `BATCH:replayOf` -> the batch whose letters it replays; `BATCH:replayedInto` -> JSON list. */
      batchLinks: `${prefix}:console:batch-links`,
      /** batch id -> a batch confirmed in the console that waits for a second person's approval. */
      approvals: `${prefix}:console:approvals`,
      /** operation + a file's header -> the column mapping chosen for it, offered again for the same header. */
      mappings: `${prefix}:console:mappings`,
      /** An uploaded file kept until confirmed (or a day): its bytes and what reading it found. */
      upload: (uploadId: string) => ({
        file: `${prefix}:console:upload:${tag(uploadId)}:file`,
        meta: `${prefix}:console:upload:${tag(uploadId)}:meta`,
        /** The check against Feishu: its progress (a hash) and what it found, by line. */
        check: `${prefix}:console:upload:${tag(uploadId)}:check`,
        findings: `${prefix}:console:upload:${tag(uploadId)}:findings`,
      }),
    },
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
