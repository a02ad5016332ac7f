import { join } from 'node:path';
import type { JobOutcome } from '../../src/lib/model/job-outcome';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import { Redis } from 'ioredis';
import type { BatchRow } from '../../src/lib/batches/batch-store';
import { listDeadLetters } from '../../src/lib/batches/dead-letters';
import { PrivateRedis } from '../helpers/private-redis';
import { startTypeScript } from '../helpers/processes';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime, testEnv } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { enqueueInputs, openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const JOB = '6800000000000000001';

function applicationsPerTalent(sandbox: TestSandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of sandbox.state.applications.values())
    counts.set(a.talent_id, (counts.get(a.talent_id) ?? 0) + 1);
  return counts;
}

function answersReached(
  sandbox: TestSandbox,
  endpoint: 'create' | 'terminate',
  count: number,
): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = sandbox.onAnswer((event) => {
      if (event.endpoint === endpoint && event.code === 0 && ++seen === count) {
        stop();
        resolve();
      }
    });
  });
}

describe('workers: crashes and outages', () => {
  it('finishes the jobs of a worker killed with SIGKILL mid-batch, creating nothing twice', async () => {
    const sandbox = await openSandbox({
      config: {
        generate: { talents: 30, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
        faults: { create: { latencyMs: 150, jitterMs: 100 } },
      },
    });
    const prefix = testPrefix();
    const producer = openRuntime(sandbox, prefix);
    const { batches } = producer;
    const talents = [...sandbox.state.talents.keys()];
    await enqueueInputs(
      producer,
      'create',
      'crash',
      talents.map((talent_id) => ({ talent_id, job_id: JOB })),
    );

    const worker = startTypeScript(join(__dirname, '..', 'children', 'worker-process.ts'), [], {
      env: { ...testEnv(sandbox, prefix), LOCK_DURATION_MS: '1000' },
      ipc: true,
    });
    await new Promise<void>((resolve) => worker.child.once('message', () => resolve()));
    const someDone = answersReached(sandbox, 'create', 5);
    worker.child.send('go');
    await someDone;
    await worker.stop('SIGKILL');
    const doneByChild = (await batches.progress('crash')).done;
    expect(doneByChild).toBeLessThan(30);

    const fleet = await openFleet(
      sandbox,
      {},
      { operations: ['create'], lockDurationMs: 1000, stalledIntervalMs: 500 },
      prefix,
    );
    await fleet.waitForBatch('crash');
    const outcomes: (JobOutcome | undefined)[] = [];
    for await (const chunk of batches.rowsWithOutcomes('crash'))
      outcomes.push(...chunk.map((r) => r.outcome));
    expect(outcomes).toHaveLength(30);
    expect(outcomes.every((o) => o?.status === 'succeeded')).toBe(true);
    const perTalent = applicationsPerTalent(sandbox);
    expect(perTalent.size).toBe(30);
    expect([...perTalent.values()].every((n) => n === 1)).toBe(true);
    await producer.close();
    await fleet.close();
    await sandbox.close();
  });

  it('waits while Redis restarts under a running worker and resumes, losing nothing Redis kept', async () => {
    const redisServer = await PrivateRedis.start();
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 30),
        limits: { terminate: [{ limit: 10, windowMs: 1000 }] },
      },
    });
    const fleet = await openFleet(
      sandbox,
      { REDIS_URL: redisServer.url, HIRE_LIMIT_TERMINATE: '10/s' },
      { operations: ['terminate'] },
    );
    const ids = Array.from({ length: 30 }, (_, i) => `app-${i + 1}`);
    const someDone = answersReached(sandbox, 'terminate', 5);
    await fleet.enqueue(
      'terminate',
      'outage',
      ids.map((application_id) => ({ application_id, termination_type: 1 as const })),
    );
    await someDone;
    const noticed = new Promise((resolve) => fleet.workers.workers[0]!.once('error', resolve));
    await redisServer.stop();
    await noticed;
    await redisServer.start();
    await fleet.waitForBatch('outage');
    const outcomes: (JobOutcome | undefined)[] = [];
    for await (const chunk of fleet.batches.rowsWithOutcomes('outage'))
      outcomes.push(...chunk.map((r) => r.outcome));
    expect(outcomes).toHaveLength(30);
    expect(outcomes.every((o) => o?.status === 'succeeded' || o?.status === 'alreadyDone')).toBe(true);
    expect([...sandbox.state.applications.values()].every((a) => a.active_status === 2)).toBe(true);
    await fleet.close();
    await sandbox.close();
    await redisServer.stop();
  });

  // With the create limit lifted the call is begun in the journal as the job is read, not at a slot.
  it.each([
    ['under the default limits', {}],
    ['with the create limit lifted', { HIRE_LIMIT_CREATE: 'none' }],
  ])(
    'reconciles a create whose worker was killed after Feishu answered success, before anything was recorded (%s)',
    async (_, limits) => {
      const redisServer = await PrivateRedis.start();
      // The answer leaves 200 ms after the effect, time for the test to freeze Redis writes first.
      const sandbox = await openSandbox({
        config: {
          generate: { talents: 1, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
          faults: { create: { slowAnswer: 1, slowAnswerDelayMs: 200 } },
        },
      });
      const prefix = testPrefix();
      const env = {
        ...testEnv(sandbox, prefix, limits),
        REDIS_URL: redisServer.url,
        LOCK_DURATION_MS: '1000',
      };
      const producer = openRuntime(sandbox, prefix, { REDIS_URL: redisServer.url });
      const [talent] = [...sandbox.state.talents.keys()];
      await enqueueInputs(producer, 'create', 'answered', [{ talent_id: talent!, job_id: JOB }]);
      const admin = new Redis(redisServer.url);
      // Nothing the worker writes after Feishu's answer can land: the success exists only in its memory.
      const frozen = new Promise<void>((resolve) =>
        sandbox.onArrival((event) => {
          if (event.endpoint === 'create')
            void admin.call('CLIENT', 'PAUSE', '2000', 'WRITE').then(() => resolve());
        }),
      );
      const answered = answersReached(sandbox, 'create', 1);
      const worker = startTypeScript(join(__dirname, '..', 'children', 'worker-process.ts'), [], {
        env,
        ipc: true,
      });
      await new Promise<void>((resolve) => worker.child.once('message', () => resolve()));
      worker.child.send('go');
      await Promise.all([frozen, answered]);
      await worker.stop('SIGKILL');
      await admin.call('CLIENT', 'UNPAUSE');
      expect((await producer.batches.progress('answered')).done).toBe(0);

      const fleet = await openFleet(
        sandbox,
        { REDIS_URL: redisServer.url, ...limits },
        { operations: ['create'], lockDurationMs: 1000, stalledIntervalMs: 500 },
        prefix,
      );
      await fleet.waitForBatch('answered');
      const [row] = (await fleet.batches.rowsWithOutcomes('answered').next()).value as BatchRow[];
      const created = [...sandbox.state.applications.values()];
      expect(created).toHaveLength(1);
      expect(row?.outcome).toMatchObject({
        status: 'succeeded',
        reconciled: true,
        applicationId: created[0]!.id,
      });
      expect(await listDeadLetters(fleet.queues.deadLetter)).toHaveLength(0);
      await admin.quit();
      await producer.close();
      await fleet.close();
      await sandbox.close();
      await redisServer.stop();
    },
  );

  it('records a create whose success came back while Redis was away', async () => {
    const redisServer = await PrivateRedis.start();
    const sandbox = await openSandbox({
      config: {
        generate: { talents: 5, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
        faults: { create: { slowAnswer: 1, slowAnswerDelayMs: 300 } },
      },
    });
    const fleet = await openFleet(sandbox, { REDIS_URL: redisServer.url }, { operations: ['create'] });
    let stopped: Promise<void> | undefined;
    sandbox.onArrival((event) => {
      // Redis goes away between Feishu's effect and its answer, and comes back after it.
      if (event.endpoint === 'create' && !stopped) stopped = redisServer.stop();
    });
    const answered = answersReached(sandbox, 'create', 1);
    const talents = [...sandbox.state.talents.keys()];
    await fleet.enqueue(
      'create',
      'away',
      talents.map((talent_id) => ({ talent_id, job_id: JOB })),
    );
    await answered;
    await stopped;
    await redisServer.start();
    await fleet.waitForBatch('away');
    const outcomes: (JobOutcome | undefined)[] = [];
    for await (const chunk of fleet.batches.rowsWithOutcomes('away'))
      outcomes.push(...chunk.map((r) => r.outcome));
    expect(outcomes.map((o) => o?.status)).toEqual(talents.map(() => 'succeeded'));
    const perTalent = applicationsPerTalent(sandbox);
    expect([...perTalent.values()]).toEqual(talents.map(() => 1));
    expect(outcomes.map((o) => o?.applicationId).sort()).toEqual(
      [...sandbox.state.applications.keys()].sort(),
    );
    expect(await listDeadLetters(fleet.queues.deadLetter)).toHaveLength(0);
    await fleet.close();
    await sandbox.close();
    await redisServer.stop();
  });

  it('leaves no app secret or token in job data, dead letters or batches', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'scan', [
      { talent_id: 'talent-free', job_id: 'job-2' },
      { talent_id: 'talent-ghost', job_id: 'job-1' },
    ]);
    await fleet.waitForBatch('scan');
    const token = await fleet.runtime.client.token.get();
    const redis = openRedis();
    const keys = await redis.keys(`${fleet.prefix}*`);
    const tokenKey = fleet.runtime.keys.token(SANDBOX_APP.appId);
    let dump = '';
    for (const key of keys) {
      if (key === tokenKey) continue;
      const type = await redis.type(key);
      if (type === 'string') dump += await redis.get(key);
      else if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key));
      else if (type === 'list') dump += JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === 'set') dump += JSON.stringify(await redis.smembers(key));
      else if (type === 'zset') dump += JSON.stringify(await redis.zrange(key, '0', '-1'));
      else if (type === 'stream') dump += JSON.stringify(await redis.xrange(key, '-', '+'));
    }
    expect(keys.length).toBeGreaterThan(10);
    expect(dump).toContain('talent-ghost');
    expect(dump).not.toContain(SANDBOX_APP.appSecret);
    expect(dump).not.toContain(token);
    await redis.closeAndClean();
    await fleet.close();
    await sandbox.close();
  });
});
