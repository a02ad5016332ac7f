import { listDeadLetters } from '../../src/lib/batches/dead-letters';
import { FleetFatalError } from '../../src/lib/errors/fleet-fatal-error';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import type { JobOutcome } from '../../src/lib/model/job-outcome';
import { openSandbox } from '../helpers/sandbox';
import { openFleet, quickPolicy } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const outcomesOf = async (fleet: Awaited<ReturnType<typeof openFleet>>, batchId: string) => {
  const rows: { line: number; outcome?: JobOutcome }[] = [];
  for await (const chunk of fleet.batches.rowsWithOutcomes(batchId)) rows.push(...chunk);
  return rows.map((r) => r.outcome);
};

describe('workers: every outcome path', () => {
  it('creates and terminates, recording each outcome once', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'b1', [
      { talent_id: 'talent-free', job_id: 'job-2' },
      { talent_id: 'talent-other', job_id: 'job-2', delivery_type: 2 },
    ]);
    await fleet.enqueue('terminate', 'b2', [
      { application_id: 'app-2', termination_type: 1, termination_reason_list: ['reason-1'] },
      { application_id: 'app-3', termination_type: 27, termination_reason_note: 'round closed' },
    ]);
    await Promise.all([fleet.waitForBatch('b1'), fleet.waitForBatch('b2')]);
    const created = await outcomesOf(fleet, 'b1');
    expect(created.map((o) => o?.status)).toEqual(['succeeded', 'succeeded']);
    for (const o of created) expect(sandbox.state.applications.get(o!.applicationId!)?.job_id).toBe('job-2');
    expect((await outcomesOf(fleet, 'b2')).map((o) => o?.status)).toEqual(['succeeded', 'succeeded']);
    expect(sandbox.state.applications.get('app-2')?.active_status).toBe(2);
    expect(await fleet.batches.progress('b1')).toMatchObject({ jobs: 2, done: 2, counts: { succeeded: 2 } });
    await fleet.close();
    await sandbox.close();
  });

  it('dead-letters a permanent error at once, with everything needed to inspect and replay it', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'perm', [{ talent_id: 'talent-ghost', job_id: 'job-1' }]);
    await fleet.waitForBatch('perm');
    expect(sandbox.stats().endpoints.create.calls).toBe(1);
    const [letter] = await listDeadLetters(fleet.queues.deadLetter, { batchId: 'perm' });
    expect(letter?.data).toMatchObject({
      operation: 'create',
      batchId: 'perm',
      input: { talent_id: 'talent-ghost', job_id: 'job-1' },
      source: { line: 2 },
      code: '1002102',
      message: 'talent not exist',
      httpStatus: 400,
      logId: expect.any(String),
      reason: 'permanent error',
      attemptsMade: 1,
      attempts: [expect.objectContaining({ code: '1002102' })],
    });
    await fleet.close();
    await sandbox.close();
  });

  it('retries transient failures and dead-letters with "retries exhausted" and the last error', async () => {
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 3), faults: { create: { errorBeforeEffect: 1 } } },
    });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'flaky', [{ talent_id: 'talent-free', job_id: 'job-2' }]);
    await fleet.waitForBatch('flaky');
    // 3 attempts x (1 call + 1 quick retry).
    expect(sandbox.stats().endpoints.create.calls).toBe(6);
    const [letter] = await listDeadLetters(fleet.queues.deadLetter, { code: '1002001' });
    expect(letter?.data.reason).toBe('retries exhausted after 3 attempts');
    expect(letter?.data.attempts).toHaveLength(6);
    expect(letter?.data.httpStatus).toBe(500);
    await fleet.close();
    await sandbox.close();
  });

  it.each([2, 6])(
    "takes the worker's policy of %d attempts, not a number fixed when the job was enqueued",
    async (attempts) => {
      const sandbox = await openSandbox({
        config: { fixture: smallFixture(Date.now(), 3), faults: { create: { errorBeforeEffect: 1 } } },
      });
      const fleet = await openFleet(sandbox, {}, { policy: { ...quickPolicy, attempts } });
      await fleet.enqueue('create', 'policy', [{ talent_id: 'talent-free', job_id: 'job-2' }]);
      await fleet.waitForBatch('policy');
      expect(sandbox.stats().endpoints.create.calls).toBe(attempts * (1 + quickPolicy.quickRetries));
      const [letter] = await listDeadLetters(fleet.queues.deadLetter, { batchId: 'policy' });
      expect(letter?.data.reason).toBe(`retries exhausted after ${attempts} attempts`);
      await fleet.close();
      await sandbox.close();
    },
  );

  it('survives transient failures: every job completes, no application created twice', async () => {
    const sandbox = await openSandbox({
      config: {
        generate: { talents: 40, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
        faults: { create: { errorBeforeEffect: 0.2, errorAfterEffect: 0.2, dropAfterEffect: 0.1 } },
      },
    });
    const fleet = await openFleet(sandbox, {}, { policy: { ...quickPolicy, attempts: 10 } });
    const talents = [...sandbox.state.talents.keys()];
    await fleet.enqueue(
      'create',
      'faulty',
      talents.map((talent_id) => ({ talent_id, job_id: '6800000000000000001' })),
    );
    await fleet.waitForBatch('faulty');
    const outcomes = await outcomesOf(fleet, 'faulty');
    expect(outcomes.every((o) => o?.status === 'succeeded')).toBe(true);
    const perTalent = new Map<string, number>();
    for (const a of sandbox.state.applications.values())
      perTalent.set(a.talent_id, (perTalent.get(a.talent_id) ?? 0) + 1);
    expect([...perTalent.values()].every((n) => n === 1)).toBe(true);
    expect(perTalent.size).toBe(40);
    expect(outcomes.some((o) => o?.reconciled)).toBe(true);
    // Each outcome names the application that exists.
    for (const o of outcomes) expect(sandbox.state.applications.has(o!.applicationId!)).toBe(true);
    await fleet.close();
    await sandbox.close();
  });

  it.each([
    ['under the default limits', {}],
    ['with the create limit lifted', { HIRE_LIMIT_CREATE: 'none' }],
  ])('reconciles a create whose first call took effect but answered 1002001 (%s)', async (_, limits) => {
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 3),
        faults: { create: { errorAfterEffect: 1, firstCalls: 1 } },
      },
    });
    const fleet = await openFleet(sandbox, limits);
    await fleet.enqueue('create', 'amb', [{ talent_id: 'talent-free', job_id: 'job-3' }]);
    await fleet.waitForBatch('amb');
    const [outcome] = await outcomesOf(fleet, 'amb');
    const created = [...sandbox.state.applications.values()].filter((a) => a.talent_id === 'talent-free');
    expect(created).toHaveLength(1);
    expect(outcome).toMatchObject({ status: 'succeeded', reconciled: true, applicationId: created[0]!.id });
    expect(sandbox.stats().endpoints.create.codes).toEqual({ '1002001': 1, '1002206': 1 });
    await fleet.close();
    await sandbox.close();
  });

  it('reconciles a create that timed out with its effect applied', async () => {
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 3),
        faults: { create: { slowAnswer: 1, slowAnswerDelayMs: 30_000, firstCalls: 1 } },
      },
    });
    const fleet = await openFleet(sandbox, { FEISHU_TIMEOUT_MS: '300' });
    await fleet.enqueue('create', 'slow', [{ talent_id: 'talent-free', job_id: 'job-3' }]);
    await fleet.waitForBatch('slow');
    const [outcome] = await outcomesOf(fleet, 'slow');
    expect(outcome).toMatchObject({ status: 'succeeded', reconciled: true });
    expect(
      [...sandbox.state.applications.values()].filter((a) => a.talent_id === 'talent-free'),
    ).toHaveLength(1);
    await fleet.close();
    await sandbox.close();
  });

  it('dead-letters a 1002206 after an ambiguous attempt when the application predates the job', async () => {
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 3),
        faults: { create: { errorBeforeEffect: 1, firstCalls: 1 } },
      },
    });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'dup', [{ talent_id: 'talent-busy', job_id: 'job-1' }]);
    await fleet.waitForBatch('dup');
    const [letter] = await listDeadLetters(fleet.queues.deadLetter, { batchId: 'dup' });
    expect(letter?.data).toMatchObject({
      code: '1002206',
      reason: expect.stringContaining('created before'),
    });
    await fleet.close();
    await sandbox.close();
  });

  it('dead-letters a plain 1002206 as a real duplicate', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('create', 'dup2', [{ talent_id: 'talent-busy', job_id: 'job-1' }]);
    await fleet.waitForBatch('dup2');
    const [letter] = await listDeadLetters(fleet.queues.deadLetter, { code: '1002206' });
    expect(letter?.data.reason).toMatch(/duplicate/);
    expect(sandbox.stats().endpoints.listApplications.calls).toBe(0);
    await fleet.close();
    await sandbox.close();
  });

  it('terminate: 1002221 after an ambiguous attempt is ours; without one it is "already done"', async () => {
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 3),
        faults: { terminate: { errorAfterEffect: 1, firstCalls: 1 } },
      },
    });
    sandbox.state.applications.get('app-3')!.active_status = 2;
    const fleet = await openFleet(sandbox);
    await fleet.enqueue('terminate', 'term', [{ application_id: 'app-2', termination_type: 1 }]);
    await fleet.waitForBatch('term');
    expect(await outcomesOf(fleet, 'term')).toEqual([
      expect.objectContaining({ status: 'succeeded', reconciled: true }),
    ]);
    await fleet.enqueue('terminate', 'term2', [{ application_id: 'app-3', termination_type: 1 }]);
    await fleet.waitForBatch('term2');
    expect(await outcomesOf(fleet, 'term2')).toEqual([
      expect.objectContaining({ status: 'alreadyDone', code: '1002221' }),
    ]);
    expect(await fleet.batches.progress('term2')).toMatchObject({ counts: { alreadyDone: 1, succeeded: 0 } });
    await fleet.close();
    await sandbox.close();
  });

  it('waits out rate limiting without spending attempts', async () => {
    // Feishu is stricter than the client believes, so 429s happen.
    const sandbox = await openSandbox({
      config: {
        fixture: smallFixture(Date.now(), 12),
        limits: { terminate: [{ limit: 4, windowMs: 1000 }] },
      },
    });
    const fleet = await openFleet(sandbox, { HIRE_LIMIT_TERMINATE: '50/s' });
    const ids = Array.from({ length: 12 }, (_, i) => `app-${i + 1}`);
    const jobIds = await fleet.enqueue(
      'terminate',
      'rl',
      ids.map((application_id) => ({ application_id, termination_type: 1 as const })),
    );
    await fleet.waitForBatch('rl');
    expect(sandbox.stats().endpoints.terminate.http429).toBeGreaterThan(0);
    expect((await outcomesOf(fleet, 'rl')).every((o) => o?.status === 'succeeded')).toBe(true);
    for (const id of jobIds) {
      const job = await fleet.queues.terminate.getJob(id);
      expect(job?.attemptsMade).toBe(1);
    }
    await fleet.close();
    await sandbox.close();
  });

  it('halts the fleet when the app lacks its scope: pauses the queues, fails no job, names the fix', async () => {
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 3), apps: [{ ...SANDBOX_APP, hireScope: false }] },
    });
    const fleet = await openFleet(sandbox);
    const [jobId] = await fleet.enqueue('terminate', 'fatal', [
      { application_id: 'app-1', termination_type: 1 },
    ]);
    const fatal = await fleet.workers.fatal;
    expect(fatal.scope).toBe('fleet');
    expect(fatal.message).toMatch(/99991672 .*To fix: grant the app the hire:application scope/);
    expect(fatal.message.match(/To fix/g)).toHaveLength(1);
    expect(await fleet.queues.terminate.isPaused()).toBe(true);
    const job = await fleet.queues.terminate.getJob(jobId!);
    expect(job?.attemptsMade).toBe(0);
    expect(await job?.getState()).not.toBe('failed');
    expect(await fleet.runtime.redis.get(fleet.runtime.keys.fleetHalt)).toContain('hire:application');
    expect(await listDeadLetters(fleet.queues.deadLetter)).toHaveLength(0);
    await fleet.close();
    await sandbox.close();
  });

  it('refuses to start workers whose own credentials Feishu rejects, pausing nothing', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const failure = await openFleet(sandbox, { FEISHU_APP_SECRET: 'not-the-secret' }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(FleetFatalError);
    expect(failure).toMatchObject({ scope: 'process', feishuCode: 10014 });
    expect((failure as Error).message).toMatch(/To fix: set FEISHU_APP_SECRET/);
    expect((failure as Error).message.match(/To fix/g)).toHaveLength(1);
    await sandbox.close();
  });
});
