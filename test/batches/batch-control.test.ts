import { pauseBatch, resumeBatch } from '../../src/lib/batches/batch-control';
import { enqueueBatch } from '../../src/lib/batches/enqueue-batch';
import type { TerminateApplicationInput } from '../../src/lib/feishu/hire-schemas';
import { openRuntime } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { enqueueInputs, openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';
import { generatedIds } from '../../src/sandbox/hire-state';

const terminations = (from: number, to: number): TerminateApplicationInput[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    application_id: `app-${from + i}`,
    termination_type: 1,
  }));

/** Terminate calls as they arrive at the sandbox, in order. */
function arrivalLog(sandbox: TestSandbox) {
  const ids: string[] = [];
  const waiters: { count: number; of: (id: string) => boolean; resolve: () => void }[] = [];
  sandbox.onArrival((event) => {
    if (event.endpoint !== 'terminate' || !event.applicationId) return;
    ids.push(event.applicationId);
    for (const w of [...waiters])
      if (ids.filter(w.of).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  return {
    ids,
    count: (of: (id: string) => boolean) => ids.filter(of).length,
    /** Resolves once `count` calls matching `of` have arrived. */
    reached: (count: number, of: (id: string) => boolean) =>
      new Promise<void>((resolve) => waiters.push({ count, of, resolve })),
  };
}

const inRange = (from: number, to: number) => (id: string) => {
  const n = Number(id.slice('app-'.length));
  return n >= from && n <= to;
};

describe('batch control', () => {
  it('pauses one batch while another flows: no new call of it after pause returns, then resumes it in full', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 80) } });
    const log = arrivalLog(sandbox);
    const fleet = await openFleet(sandbox, { HIRE_LIMIT_TERMINATE: '10/s' }, { operations: ['terminate'] });
    const ofA = inRange(1, 40);
    await fleet.enqueue('terminate', 'A', terminations(1, 40));
    await fleet.enqueue('terminate', 'B', terminations(41, 80));
    await log.reached(5, ofA);

    const paused = await pauseBatch(fleet.runtime, 'A');
    const callsOfAWhenPaused = log.count(ofA);
    expect(paused.state).toBe('paused');
    await fleet.waitForBatch('B');
    expect(log.count(inRange(41, 80))).toBe(40);
    // Calls admitted before the pause may still arrive; nothing else of A does.
    expect(log.count(ofA) - callsOfAWhenPaused).toBeLessThanOrEqual(paused.inFlight);
    const whilePaused = await fleet.batches.progress('A');
    expect(whilePaused).toMatchObject({ state: 'paused', finished: false });
    expect(whilePaused.jobs - whilePaused.done).toBeGreaterThan(0);
    // Parked rows spent no attempt.
    const parked = await fleet.queues.terminate.getJobs(['delayed']);
    expect(parked.length).toBeGreaterThan(0);
    expect(parked.map((job) => [job.data.batchId, job.attemptsMade])).toEqual(parked.map(() => ['A', 0]));

    await resumeBatch(fleet.runtime, 'A');
    await fleet.waitForBatch('A');
    expect(await fleet.batches.progress('A')).toMatchObject({
      state: 'finished',
      counts: { succeeded: 40, alreadyDone: 0 },
    });
    // Every application of A was terminated by exactly one call.
    expect(log.count(ofA)).toBe(40);
    expect(new Set(log.ids.filter(ofA)).size).toBe(40);
    await fleet.close();
    await sandbox.close();
  });

  it('with the create limit lifted, admits a call as its job is read, and still starts no call of a paused batch after pause returns', async () => {
    const sandbox = await openSandbox({
      config: {
        generate: { talents: 60, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
        faults: { create: { latencyMs: 50 } },
        limits: { create: [] },
      },
    });
    const talents = Array.from({ length: 60 }, (_, i) => generatedIds.talent(i + 1));
    const inA = new Set(talents.slice(0, 30));
    const arrivalsOfA: string[] = [];
    let reachedFive: () => void = () => undefined;
    const fiveOfA = new Promise<void>((resolve) => (reachedFive = resolve));
    sandbox.onArrival((event) => {
      const talent = (event.body as { talent_id?: string } | undefined)?.talent_id;
      if (event.endpoint !== 'create' || talent === undefined || !inA.has(talent)) return;
      if (arrivalsOfA.push(talent) === 5) reachedFive();
    });
    const fleet = await openFleet(
      sandbox,
      { HIRE_LIMIT_CREATE: 'none' },
      { operations: ['create'], concurrency: 8 },
    );
    const job_id = generatedIds.job(1);
    await fleet.enqueue(
      'create',
      'A',
      talents.slice(0, 30).map((talent_id) => ({ talent_id, job_id })),
    );
    await fleet.enqueue(
      'create',
      'B',
      talents.slice(30).map((talent_id) => ({ talent_id, job_id })),
    );
    await fiveOfA;

    const paused = await pauseBatch(fleet.runtime, 'A');
    const arrivedWhenPaused = arrivalsOfA.length;
    await fleet.waitForBatch('B');
    // Calls admitted before the pause (as their jobs were read) may still arrive; no other of A does.
    expect(arrivalsOfA.length - arrivedWhenPaused).toBeLessThanOrEqual(paused.inFlight);
    expect(await fleet.batches.progress('A')).toMatchObject({ state: 'paused', finished: false });

    await resumeBatch(fleet.runtime, 'A');
    await fleet.waitForBatch('A');
    expect(await fleet.batches.progress('A')).toMatchObject({ state: 'finished', counts: { succeeded: 30 } });
    // Each talent of A got exactly one call: none was lost or made twice by the pause.
    expect(new Set(arrivalsOfA).size).toBe(30);
    expect(arrivalsOfA).toHaveLength(30);
    // Nothing is left counted in flight, and no journal of a finished job remains.
    expect(await fleet.runtime.redis.scard(fleet.runtime.keys.batch('A').inFlight)).toBe(0);
    expect(await fleet.runtime.redis.keys(fleet.runtime.keys.attempts('*'))).toEqual([]);
    await fleet.close();
    await sandbox.close();
  });

  it('runs a high-priority batch enqueued behind a large one first', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 60) } });
    const log = arrivalLog(sandbox);
    const fleet = await openFleet(sandbox, {}, { operations: ['terminate'], concurrency: 1 });
    await fleet.workers.workers[0]!.pause();
    const producer = openRuntime(sandbox, fleet.prefix);
    await enqueueInputs(producer, 'terminate', 'large', terminations(1, 50));
    await enqueueBatchWithPriority(producer, 'urgent', terminations(51, 55));
    fleet.workers.workers[0]!.resume();

    await fleet.waitForBatch('urgent');
    expect(log.ids.slice(0, 5).every(inRange(51, 55))).toBe(true);
    expect((await fleet.batches.progress('large')).finished).toBe(false);
    await fleet.waitForBatch('large');
    await producer.close();
    await fleet.close();
    await sandbox.close();
  });
});

async function enqueueBatchWithPriority(
  target: Parameters<typeof enqueueInputs>[0],
  batchId: string,
  inputs: TerminateApplicationInput[],
) {
  await enqueueBatch(
    target,
    { batchId, operation: 'terminate', priority: 'high' },
    inputs.map((input, i) => ({ line: i + 2, ok: true as const, input })),
  );
}
