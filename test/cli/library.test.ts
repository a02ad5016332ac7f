import { join } from 'node:path';
import { HireQueueProducer } from '../../src/producers/hire-queue-producer';
import { startTypeScript } from '../helpers/processes';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';
import { TEST_REDIS_URL } from '../helpers/redis';

describe('the library API', () => {
  it('enqueues from code with row-level errors and reads the same report as the CLI', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    const producer = await HireQueueProducer.connect({
      REDIS_URL: TEST_REDIS_URL,
      HIRE_QUEUE_PREFIX: fleet.prefix,
    });
    const result = await producer.enqueue('create', [
      { talent_id: 'talent-free', job_id: 'job-2' },
      { talent_id: 'talent-other' },
    ]);
    expect(result).toMatchObject({ accepted: 1, invalid: [{ row: 2, errors: ['job_id: required'] }] });
    const report = await producer.waitForBatch(result.batchId, 50);
    expect(report.counts).toEqual({
      total: 2,
      succeeded: 1,
      alreadyDone: 0,
      skipped: 0,
      deadLettered: 0,
      cancelled: 0,
      invalid: 1,
      pending: 0,
    });
    await producer.close();
    await fleet.close();
    await sandbox.close();
  });

  it('offers the nightly-sync options: a second enqueue of the same rows is done without a call', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    const producer = await HireQueueProducer.connect({
      REDIS_URL: TEST_REDIS_URL,
      HIRE_QUEUE_PREFIX: fleet.prefix,
    });
    const rows = [
      { talent_id: 'talent-free', job_id: 'job-2' },
      { talent_id: 'talent-busy', job_id: 'job-1' },
    ];
    const first = await producer.enqueue('create', rows, { existing: 'adopt', skipCreated: true });
    expect((await producer.waitForBatch(first.batchId, 50)).counts).toMatchObject({
      succeeded: 1,
      alreadyDone: 1,
    });
    const calls = sandbox.stats().endpoints.create.calls;
    const second = await producer.enqueue('create', rows, { existing: 'adopt', skipCreated: true });
    expect((await producer.waitForBatch(second.batchId, 50)).counts).toMatchObject({
      alreadyDone: 2,
      deadLettered: 0,
    });
    expect(sandbox.stats().endpoints.create.calls).toBe(calls);
    await producer.close();
    await fleet.close();
    await sandbox.close();
  });

  it('runs the README example as a user would, importing the package by name', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const fleet = await openFleet(sandbox);
    const example = startTypeScript(join(__dirname, '..', '..', 'examples', 'enqueue-from-code.ts'), [], {
      env: { REDIS_URL: TEST_REDIS_URL, HIRE_QUEUE_PREFIX: fleet.prefix, EXAMPLE_APPLICATION_ID: 'app-2' },
    });
    const { code } = await example.exited;
    const output = { code, out: example.stdout() + example.stderr() };
    expect(output.code).toBe(0);
    expect(output.out).toContain("'application_id: required'");
    expect(output.out).toContain('"succeeded":1');
    expect(sandbox.state.applications.get('app-2')?.active_status).toBe(2);
    await fleet.close();
    await sandbox.close();
  });
});
