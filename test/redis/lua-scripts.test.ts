import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addRowsScript, setControlScript } from '../../src/lib/batches/batch-store';
import { deleteTokenIfEqualScript, releaseLockScript } from '../../src/lib/feishu/tenant-token';
import {
  admitCallScript,
  endCallScript,
  openJobScript,
  parkJobScript,
  recordOutcomeScript,
} from '../../src/lib/job-state/job-state';
import { recordLedgerEntriesScript } from '../../src/lib/ledger/application-ledger';
import {
  blockEndpointScript,
  moveSlotScript,
  reserveSlotScript,
} from '../../src/lib/limiter/fleet-rate-limiter';
import { learnMarginScript } from '../../src/lib/limiter/margin-learner';
import {
  listingLookScript,
  listingTakeLockScript,
  recordListingScript,
} from '../../src/lib/operations/updated-since-listing';
import { BatchedScript } from '../../src/lib/redis/batched-script';
import { defineScript, loadLua, LUA_DIR, resolveIncludes } from '../../src/lib/redis/lua-script';
import { redisKeys } from '../../src/lib/redis/redis-keys';
import { openRedis, testPrefix } from '../helpers/redis';

/** Every script and include, each run here directly against Redis: the last test checks none is missed. */
const covered = new Set<string>();
const covers = (name: string) => covered.add(name);

/** An include run on its own: `body` calls what it defines. */
const including = (include: string, body: string, keys: string[] = [], args: string[] = []) =>
  defineScript({ name: `test-${include}`, source: `--- @include "${include}"\n${body}`, keys, args });

describe('the Redis scripts, each run directly', () => {
  let prefix: string;
  let redis: ReturnType<typeof openRedis>;
  let keys: ReturnType<typeof redisKeys>;
  let k: ReturnType<ReturnType<typeof redisKeys>['batch']>;

  beforeEach(() => {
    prefix = testPrefix();
    redis = openRedis(prefix);
    keys = redisKeys(prefix);
    k = keys.batch('b1');
  });
  afterEach(() => redis.closeAndClean());

  const journal = () => ({ journal: keys.attempts('j1'), journalLog: keys.attemptLog('j1') });

  it('loads a script with each include once, in place, and names a missing file', () => {
    const text = loadLua('open-job');
    expect(text).not.toContain('@include');
    // open-job includes admit, which includes begin-call: each defined once.
    expect(text.match(/local function beginCall/g)).toHaveLength(1);
    expect(text.match(/local function admit/g)).toHaveLength(1);
    expect(text.indexOf('local function beginCall')).toBeLessThan(text.indexOf('local function admit'));
    expect(resolveIncludes('--- @include "includes/begin-call"\n--- @include "includes/begin-call"')).toMatch(
      /^(?![\s\S]*local function beginCall[\s\S]*local function beginCall)/,
    );
    expect(() => loadLua('no-such-script')).toThrow(/no-such-script\.lua could not be read .*: no such file/);
    expect(() => resolveIncludes('--- @include "includes/missing"', new Set(), 'broken')).toThrow(
      /includes\/missing\.lua \(included by broken\)/,
    );
    expect(() => resolveIncludes('  --- @include "includes/redis-now"', new Set(), 'indented')).toThrow(
      /indented: malformed include/,
    );
  });

  it('includes/redis-now: Redis’s clock in ms, with the microseconds', async () => {
    covers('includes/redis-now');
    // As the limiter's scripts return it: milliseconds with three decimals (a Lua number printed
    // by tostring keeps only 14 digits).
    const now = including('includes/redis-now', `return string.format('%.3f', redisNowMs())`);
    const before = Date.now();
    const text = String(await now.run(redis, {}, {}));
    expect(text).toMatch(/^\d{13}\.\d{3}$/);
    expect(Math.abs(Number(text) - before)).toBeLessThan(5000);
  });

  it('includes/begin-call: a call begun twice without an end makes the job ambiguous', async () => {
    covers('includes/begin-call');
    const begin = including(
      'includes/begin-call',
      `beginCall(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) return redis.call('HGETALL', KEYS[1])`,
      ['journal', 'journalLog'],
      ['nowMs', 'ttlMs'],
    );
    const first = (await begin.run(redis, journal(), { nowMs: 1000, ttlMs: 60_000 })) as string[];
    expect(first).toEqual(expect.arrayContaining(['firstCallAtMs', '1000', 'inFlight', '1', 'calls', '1']));
    expect(first).not.toContain('ambiguous');
    const second = (await begin.run(redis, journal(), { nowMs: 2000, ttlMs: 60_000 })) as string[];
    expect(second).toEqual(expect.arrayContaining(['firstCallAtMs', '1000', 'ambiguous', '1', 'calls', '2']));
    expect(await redis.pttl(journal().journal)).toBeGreaterThan(50_000);
  });

  it('includes/admit and admit-call: admitted only while the batch runs, begun in the journal when given', async () => {
    covers('includes/admit');
    covers('admit-call');
    const admit = (journalKeys: string[], begin: number[]) =>
      admitCallScript.run(
        redis,
        { meta: k.meta, inFlight: k.inFlight, journal: journalKeys },
        { jobId: 'j1', retentionS: 100, begin },
      );
    const { journal: j, journalLog } = journal();
    expect(await admit([j, journalLog], [5, 60_000])).toBe('running');
    expect(await redis.smembers(k.inFlight)).toEqual(['j1']);
    expect(await redis.hget(j, 'calls')).toBe('1');
    // Checked again without the journal: nothing begins.
    expect(await admit([], [])).toBe('running');
    expect(await redis.hget(j, 'calls')).toBe('1');
    await redis.hset(k.meta, 'control', 'paused');
    await redis.srem(k.inFlight, 'j1');
    expect(await admit([j, journalLog], [6, 60_000])).toBe('paused');
    expect(await redis.smembers(k.inFlight)).toEqual([]);
    expect(await redis.hget(j, 'calls')).toBe('1');
  });

  it('open-job: outcome, control, row and admission in one reply; an orphan job is told apart', async () => {
    covers('open-job');
    const open = (row: string, admit: boolean) =>
      openJobScript.run(
        redis,
        {
          meta: k.meta,
          outcomes: k.outcomes,
          rows: k.rows,
          admission: admit ? [k.inFlight, journal().journal, journal().journalLog] : [],
        },
        { jobId: 'j1', row, admission: admit ? [100, 7, 60_000] : [] },
      );
    // No batch: not known, not admitted.
    expect(await open('2', true)).toEqual([null, null, null, null, 0, 0]);
    await redis.hset(k.meta, { operation: 'create', existing: 'adopt' });
    await redis.hset(k.rows, '2', '1:2|{"a":1}');
    expect(await open('2', true)).toEqual([null, null, 'adopt', '1:2|{"a":1}', 1, 1]);
    expect(await redis.sismember(k.inFlight, 'j1')).toBe(1);
    // A row the batch lost: read, not admitted.
    expect(await open('3', true)).toEqual([null, null, 'adopt', null, 0, 1]);
    // Ended already: the outcome, nothing admitted, the row not read.
    await redis.srem(k.inFlight, 'j1');
    await redis.hset(k.outcomes, 'j1', '{"status":"succeeded"}');
    expect(await open('2', true)).toEqual(['{"status":"succeeded"}', null, 'adopt', null, 0, 1]);
    expect(await redis.sismember(k.inFlight, 'j1')).toBe(0);
  });

  it('end-call: out of flight, the end journalled, the failure logged and expiring with the journal', async () => {
    covers('end-call');
    const { journal: j, journalLog } = journal();
    await redis.sadd(k.inFlight, 'j1');
    await redis.hset(j, 'inFlight', '1');
    await redis.pexpire(j, 60_000);
    await endCallScript.run(
      redis,
      { inFlight: k.inFlight, journal: j, journalLog },
      { jobId: 'j1', mayHaveTakenEffect: 1, serverOffsetMs: -250, failure: '{"code":"NETWORK"}' },
    );
    expect(await redis.sismember(k.inFlight, 'j1')).toBe(0);
    expect(await redis.hgetall(j)).toEqual({ inFlight: '0', ambiguous: '1', serverOffsetMs: '-250' });
    expect(await redis.lrange(journalLog, 0, -1)).toEqual(['{"code":"NETWORK"}']);
    expect(await redis.pttl(journalLog)).toBeGreaterThan(50_000);
    // A sure answer: not ambiguous by itself, nothing logged.
    await redis.del(j);
    await redis.hset(j, 'inFlight', '1');
    await endCallScript.run(
      redis,
      { inFlight: k.inFlight, journal: j, journalLog },
      { jobId: 'j1', mayHaveTakenEffect: 0, serverOffsetMs: '', failure: '' },
    );
    expect(await redis.hgetall(j)).toEqual({ inFlight: '0' });
    expect(await redis.llen(journalLog)).toBe(1);
    // The journal gone with the job's outcome (another run recorded it): not made again, without a TTL.
    await redis.del(j, journalLog);
    await redis.sadd(k.inFlight, 'j1');
    const ended = await endCallScript.run(
      redis,
      { inFlight: k.inFlight, journal: j, journalLog },
      { jobId: 'j1', mayHaveTakenEffect: 1, serverOffsetMs: 5, failure: '{"code":"NETWORK"}' },
    );
    expect(ended).toBe(0);
    expect(await redis.exists(j, journalLog)).toBe(0);
    expect(await redis.sismember(k.inFlight, 'j1')).toBe(0);
  });

  it('record-outcome: once per job, with its ledger entry, its call ended and its journal gone', async () => {
    covers('record-outcome');
    const { journal: j, journalLog } = journal();
    await redis.sadd(k.inFlight, 'j1');
    await redis.hset(j, 'calls', '1');
    const record = (outcome: string, status: string) =>
      recordOutcomeScript.run(
        redis,
        {
          outcomes: k.outcomes,
          counts: k.counts,
          inFlight: k.inFlight,
          ledger: [keys.ledger.entries, keys.ledger.byTime],
          forget: [j, journalLog],
        },
        {
          jobId: 'j1',
          outcome,
          status,
          ledgerKeys: 2,
          retentionS: 100,
          entries: ['t1\tjob1', 'app1\t5\tcreated', 5],
        },
      );
    expect(await record('{"status":"succeeded"}', 'succeeded')).toBe(true);
    expect(await record('{"status":"deadLettered"}', 'deadLettered')).toBe(false);
    expect(await redis.hgetall(k.outcomes)).toEqual({ j1: '{"status":"succeeded"}' });
    expect(await redis.hgetall(k.counts)).toEqual({ succeeded: '1' });
    expect(await redis.ttl(k.outcomes)).toBeGreaterThan(90);
    expect(await redis.exists(j, journalLog, k.inFlight)).toBe(0);
    expect(await redis.hget(keys.ledger.entries, 't1\tjob1')).toBe('app1\t5\tcreated');
    expect(await redis.zscore(keys.ledger.byTime, 't1\tjob1')).toBe('5');
  });

  it('record-ledger-entries and includes/record-ledger-entries: every entry with its time', async () => {
    covers('record-ledger-entries');
    covers('includes/record-ledger-entries');
    await recordLedgerEntriesScript.run(
      redis,
      { entries: keys.ledger.entries, byTime: keys.ledger.byTime },
      { entries: ['a\tj', 'x\t1\tcreated', 1, 'b\tj', 'y\t2\tadopted', 2] },
    );
    expect(await redis.hgetall(keys.ledger.entries)).toEqual({
      'a\tj': 'x\t1\tcreated',
      'b\tj': 'y\t2\tadopted',
    });
    expect(await redis.zrange(keys.ledger.byTime, '0', '-1', 'WITHSCORES')).toEqual([
      'a\tj',
      '1',
      'b\tj',
      '2',
    ]);
  });

  it('set-control: the change and the counts in one step; a cancelled batch stays cancelled', async () => {
    covers('set-control');
    const set = (control: string) =>
      setControlScript.run(
        redis,
        { meta: k.meta, inFlight: k.inFlight, rows: k.rows, counts: k.counts },
        { control },
      );
    expect(await set('paused')).toBeNull();
    await redis.hset(k.meta, { operation: 'create', repeats: '1' });
    await redis.hset(k.rows, { 1: 'a', 2: 'b', 3: 'c', 4: '=1' });
    await redis.hset(k.counts, { succeeded: '1' });
    await redis.sadd(k.inFlight, 'j2');
    // 4 rows, 1 a repeat: 3 jobs, 1 done.
    expect(await set('paused')).toEqual(['running', 1, 2]);
    expect(await set('cancelled')).toEqual(['paused', 1, 2]);
    expect(await set('running')).toEqual(['cancelled', 1, 2]);
    expect(await redis.hget(k.meta, 'control')).toBe('cancelled');
  });

  it('park-job: parked by row only while paused', async () => {
    covers('park-job');
    const park = (jobId: string, row: number) =>
      parkJobScript.run(redis, { meta: k.meta, parked: k.parked }, { jobId, row, retentionS: 100 });
    expect(await park('j1', 7)).toBe('running');
    await redis.hset(k.meta, 'control', 'paused');
    expect(await park('j2', 9)).toBe('paused');
    expect(await park('j3', 4)).toBe('paused');
    expect(await redis.zrange(k.parked, '0', '-1', 'WITHSCORES')).toEqual(['j3', '4', 'j2', '9']);
  });

  it('add-rows: new, known, repeat, served and invalid rows; a replayed row reopens under a new job', async () => {
    covers('add-rows');
    const add = (mode: string, sources: string[], rows: (string | number)[]) =>
      addRowsScript.run(
        redis,
        {
          meta: k.meta,
          rows: k.rows,
          digests: k.digests,
          invalidLines: k.invalidLines,
          outcomes: k.outcomes,
          counts: k.counts,
        },
        { mode, seq: 'z', retentionS: 100, sourceCount: sources.length, sources, rows },
      );
    const first = await add(
      '',
      ['a.csv'],
      [1, 2, 'd1', '{"x":1}', 1, 3, 'd1', '{"x":1}', 1, 4, '', '{"line":4}'],
    );
    expect(first).toEqual([0, 2, 'z-2', 2, 2, 'z-2', 4, 0, '']);
    // The same file again: known, served; another file's row with a new input after the highest row.
    const again = await add(
      '',
      ['a.csv', 'b.csv'],
      [1, 2, 'd1', '{"x":1}', 1, 3, 'd1', '{"x":1}', 2, 2, 'd2', '{"x":2}'],
    );
    expect(again).toEqual([1, 2, 'z-2', 3, 2, 'z-2', 0, 4, 'z-4']);
    expect(await redis.hgetall(k.rows)).toEqual({ 2: '1:2|{"x":1}', 3: '1:3|=2', 4: '2:2|{"x":2}' });
    expect(await redis.hget(k.meta, 'repeats')).toBe('1');
    expect(await redis.hgetall(k.invalidLines)).toEqual({ '1:4': '{"line":4}' });
    // Replayed after its job ended: the row's own job runs again as z-2.1, its outcome out of the counts.
    await redis.hset(k.outcomes, 'z-2', '{"status":"deadLettered"}');
    await redis.hset(k.counts, 'deadLettered', '1');
    expect(await add('replay', ['a.csv'], [1, 2, 'd1', '{"x":1}'])).toEqual([0, 2, 'z-2.1']);
    expect(await redis.hget(k.rows, '2')).toBe('1:2:1|{"x":1}');
    expect(await redis.hgetall(k.counts)).toEqual({ deadLettered: '0' });
    expect(await redis.ttl(k.rows)).toBeGreaterThan(90);
  });

  it('reserve-slot: spaced slots within the caps, nothing reserved past the horizon', async () => {
    covers('reserve-slot');
    const limiter = keys.limiter('app', 'terminate');
    const reserve = (id: string) =>
      reserveSlotScript.run(
        redis,
        {
          caps: [limiter.cap(1000)],
          blockedUntil: limiter.blockedUntil,
          margin: limiter.margin,
          foreground: limiter.foreground,
        },
        {
          fixedMarginMs: 10,
          unlearnedMarginMs: 100,
          horizonMs: 600,
          reservationId: id,
          lane: 'solo',
          caps: [2, 1000],
        },
      );
    const [reserved1, wait1, slot1, now1, margin1] = await reserve('r1');
    expect([reserved1, wait1, margin1]).toEqual([1, 0, 10]);
    expect(slot1).toBe(now1);
    const [reserved2, , slot2] = await reserve('r2');
    expect(reserved2).toBe(1);
    // (window + margin) / limit after the first.
    expect(slot2 - slot1).toBeCloseTo(505, 3);
    // The third must wait for the window plus margin after the first: past the horizon, not held.
    const [reserved3, wait3, slot3] = await reserve('r3');
    expect(reserved3).toBe(0);
    expect(slot3 - slot1).toBeCloseTo(1010, 3);
    expect(wait3).toBeGreaterThan(0);
    expect(await redis.zrange(limiter.cap(1000), '0', '-1')).toEqual(['r1', 'r2']);
    expect(await redis.exists(limiter.foreground)).toBe(0);
  });

  it('reserve-slot: the background lane takes only the room the foreground leaves', async () => {
    const limiter = keys.limiter('app', 'read');
    const reserve = (id: string, lane: 'foreground' | 'background') =>
      reserveSlotScript.run(
        redis,
        {
          caps: [limiter.cap(60_000)],
          blockedUntil: limiter.blockedUntil,
          margin: limiter.margin,
          foreground: limiter.foreground,
        },
        {
          fixedMarginMs: 0,
          unlearnedMarginMs: 0,
          horizonMs: 600_000,
          reservationId: id,
          lane,
          caps: [20, 60_000],
        },
      );
    // 20 a minute, one even spacing 3 s: three foreground calls, recorded as such.
    for (const id of ['f1', 'f2', 'f3']) expect((await reserve(id, 'foreground'))[0]).toBe(1);
    expect(await redis.zrange(limiter.foreground, '0', '-1')).toEqual(['f1', 'f2', 'f3']);
    // The background's own calls may number 20 - 3 (the foreground's) - 2 (a tenth) = 15 in a window.
    for (let i = 1; i <= 15; i++) expect((await reserve(`b${i}`, 'background'))[0]).toBe(1);
    const [reserved, waitMs, slot, now] = await reserve('b16', 'background');
    expect([reserved, waitMs, slot]).toEqual([0, 3000, now]);
    // The foreground is never refused by them: its calls still fit the cap, two places left.
    for (let i = 4; i <= 5; i++) expect((await reserve(`f${i}`, 'foreground'))[0]).toBe(1);
    expect(await redis.zcard(limiter.cap(60_000))).toBe(20);
  });

  it('move-slot: a late send moves its record later, never earlier, and only while kept', async () => {
    covers('move-slot');
    const cap = keys.limiter('app', 'create').cap(1000);
    const future = Date.now() + 60_000;
    await redis.zadd(cap, 1, 'early', future, 'late');
    const now = await moveSlotScript.run(redis, { caps: [cap] }, { reservationId: 'early' });
    expect(Number(await redis.zscore(cap, 'early'))).toBeCloseTo(now, 3);
    await moveSlotScript.run(redis, { caps: [cap] }, { reservationId: 'late' });
    expect(Number(await redis.zscore(cap, 'late'))).toBe(future);
    await moveSlotScript.run(redis, { caps: [cap] }, { reservationId: 'gone' });
    expect(await redis.zscore(cap, 'gone')).toBeNull();
  });

  it('block-endpoint: a block set by a 429; a longer one already set stands', async () => {
    covers('block-endpoint');
    const { blockedUntil } = keys.limiter('app', 'create');
    await blockEndpointScript.run(redis, { blockedUntil }, { blockMs: 5000 });
    const long = Number(await redis.get(blockedUntil));
    expect(long - Date.now()).toBeGreaterThan(3000);
    await blockEndpointScript.run(redis, { blockedUntil }, { blockMs: 100 });
    expect(Number(await redis.get(blockedUntil))).toBe(long);
  });

  it('learn-margin: cold start until enough samples, then the largest need; a 429 widens it', async () => {
    covers('learn-margin');
    const { margin } = keys.limiter('app', 'create');
    const run = (op: string, needMs: number, samples: number) =>
      learnMarginScript.run(
        redis,
        { margin },
        {
          op,
          process: `p-${samples}`,
          needMs,
          spreadMs: 1,
          floorMs: 10,
          ceilingMs: 1000,
          reportTtlMs: 60_000,
          decayHalfLifeMs: 60_000,
          widenFactor: 2,
          evidenceMs: 0,
          samples,
          minFleetSamples: 20,
          coldStartMs: 100,
          forgetAfterMs: 600_000,
        },
      );
    expect(await run('report', 30, 5)).toEqual(['100.000', '30.000', '1.000', '0']);
    expect(await run('report', 40, 15)).toEqual(['40.000', '40.000', '1.000', '1']);
    const [widened] = await run('widen', 40, 15);
    expect(Number(widened)).toBeCloseTo(80, 0);
    expect(await redis.hget(margin, 'p:p-15')).toMatch(/^40 1 15 /);
  });

  it('listing-take-lock, listing-record and listing-look: one lister, its listing shared', async () => {
    covers('listing-take-lock');
    covers('listing-record');
    covers('listing-look');
    const l = keys.updatedSince('job1', 1000);
    const startedAt = await listingTakeLockScript.run(
      redis,
      { lock: l.lock },
      { owner: 'me', ttlMs: 10_000 },
    );
    expect(Math.abs(startedAt - Date.now())).toBeLessThan(5000);
    expect(await listingTakeLockScript.run(redis, { lock: l.lock }, { owner: 'other', ttlMs: 10_000 })).toBe(
      0,
    );
    await recordListingScript.run(
      redis,
      { ids: l.ids, listed: l.listed, lock: l.lock, members: l.members },
      {
        owner: 'me',
        startedAtMs: startedAt,
        ttlS: 100,
        memberCount: 2,
        members: ['a1', 'a2'],
        updated: ['a2'],
      },
    );
    expect(await redis.exists(l.lock)).toBe(0);
    const look = (applicationId: string) =>
      listingLookScript.run(redis, { ids: l.ids, listed: l.listed, members: l.members }, { applicationId });
    const [now, from, updated, ofJob] = await look('a2');
    expect([from, updated, ofJob]).toEqual([startedAt, 1, 1]);
    expect(now).toBeGreaterThanOrEqual(startedAt);
    expect((await look('a1')).slice(2)).toEqual([0, 1]);
    expect((await look('elsewhere')).slice(2)).toEqual([0, 0]);
  });

  it('delete-token-if-equal and release-lock: only what is still the caller’s', async () => {
    covers('delete-token-if-equal');
    covers('release-lock');
    const token = keys.token('app');
    await redis.set(token, JSON.stringify({ token: 'new', expiresAtMs: 1 }));
    expect(await deleteTokenIfEqualScript.run(redis, { token }, { token: 'old' })).toBe(0);
    expect(await deleteTokenIfEqualScript.run(redis, { token }, { token: 'new' })).toBe(1);
    const lock = keys.tokenLock('app');
    await redis.set(lock, 'theirs');
    expect(await releaseLockScript.run(redis, { lock }, { owner: 'mine' })).toBe(0);
    expect(await releaseLockScript.run(redis, { lock }, { owner: 'theirs' })).toBe(1);
  });

  it('batched: a real script’s calls of one turn in one EVALSHA; one failing call fails alone', async () => {
    covers('batched');
    const opening = new BatchedScript(redis, openJobScript);
    await redis.hset(k.meta, { operation: 'create' });
    await redis.hset(k.rows, '2', '1:2|{}');
    const broken = keys.batch('broken');
    await redis.set(broken.meta, 'not a hash');
    const open = (batch: typeof k) =>
      opening.run(
        { meta: batch.meta, outcomes: batch.outcomes, rows: batch.rows, admission: [] },
        { jobId: 'j', row: '2', admission: [] },
      );
    const [good, bad, again] = await Promise.allSettled([open(k), open(broken), open(k)]);
    expect(opening.counts).toEqual({ calls: 3, sends: 1 });
    expect(good).toEqual({ status: 'fulfilled', value: [null, null, null, '1:2|{}', 0, 1] });
    expect(bad).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/WRONGTYPE/) },
    });
    expect(again).toEqual(good);
  });

  it('leaves no Redis script in TypeScript: src holds redis.call only in .lua files', () => {
    const src = join(__dirname, '../../src');
    const inTypeScript = readdirSync(src, { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.ts') && readFileSync(join(src, name), 'utf8').includes('redis.call'));
    expect(inTypeScript).toEqual([]);
  });

  it('covers every .lua file', () => {
    const files = readdirSync(LUA_DIR, { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.lua'))
      .map((name) => name.replace(/\.lua$/, ''));
    expect([...covered].sort()).toEqual(files.sort());
  });
});
