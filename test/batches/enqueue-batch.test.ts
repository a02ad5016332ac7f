import { InputFileError } from '../../src/lib/errors/input-file-error';
import { LegacyBatchError } from '../../src/lib/errors/legacy-batch-error';
import { enqueueBatch, type EnqueueBatchOptions } from '../../src/lib/batches/enqueue-batch';
import { buildBatchReport } from '../../src/lib/batches/batch-report';
import type { BatchRow } from '../../src/lib/batches/batch-store';
import type { HireRuntime } from '../../src/lib/runtime/hire-runtime';
import type { InputOf } from '../../src/lib/feishu/hire-schemas';
import { enqueueFile } from '../../src/producers/enqueue-file';
import { inputDir } from '../helpers/files';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('enqueue');

describe('enqueueBatch', () => {
  it('opens a batch only with its first row: a refused file leaves nothing behind', async () => {
    const { producer: runtime, close } = await openProducer();
    const refused = [
      files.write('none.csv', ''),
      files.write('header.csv', 'talent,job_id\nt,j\n'),
      `${files.dir}/missing.csv`,
    ];
    for (const [i, path] of refused.entries()) {
      const failure = await enqueueFile(runtime, {
        operation: 'create',
        path,
        batchId: `refused-${i}`,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(InputFileError);
      expect(await runtime.batches.meta(`refused-${i}`)).toBeUndefined();
    }
    expect(await runtime.batches.listBatchIds()).toEqual([]);
    const accepted = await enqueueFile(runtime, {
      operation: 'create',
      path: files.write('ok.csv', 'talent_id,job_id\nt1,j1\n'),
      batchId: 'ok',
    });
    expect(accepted).toMatchObject({ accepted: 1, enqueued: true });
    expect(await runtime.batches.meta('ok')).toMatchObject({ sealed: true, operation: 'create' });
    await close();
  });

  it('stores a row once: its job holds batch and line in compact form, a repeated row is one job reported on both lines', async () => {
    const { sandbox, prefix, producer, close } = await openProducer({
      config: { fixture: smallFixture(Date.now(), 3) },
    });
    const free = { talent_id: 'talent-free', job_id: 'job-2' };
    const other = { talent_id: 'talent-other', job_id: 'job-2' };
    // Line 4 repeats line 2 with its fields in another order.
    await enqueueRows(producer, 'twice', [free, other, { job_id: 'job-2', talent_id: 'talent-free' }]);

    const [first, second, repeat] = await producer.batches.jobIdsOf('twice', [2, 3, 4]);
    expect(await producer.queues.create.getJobCounts('wait')).toEqual({ wait: 2 });
    expect(await producer.queues.create.getJob(repeat!)).toBeUndefined();
    const job = await producer.queues.create.getJob(first!);
    expect(job?.data).toEqual({ batchId: 'twice', line: 2 });
    expect(job?.name).toBe('create twice line 2');
    // Every field under hash-max-listpack-value: Redis keeps the job in its compact encoding.
    expect(await producer.redis.object('ENCODING', `${prefix}:create:${first!}`)).toBe('listpack');
    expect(await producer.batches.progress('twice')).toMatchObject({ jobs: 2, done: 0 });

    const fleet = await openFleet(sandbox, {}, { operations: ['create'] }, prefix);
    await fleet.waitForBatch('twice');
    const rows = await allRows(producer, 'twice');
    expect(rows.map((r) => [r.line, r.jobId, r.input, r.outcome?.status])).toEqual([
      [2, first, free, 'succeeded'],
      [3, second, other, 'succeeded'],
      [4, first, free, 'succeeded'],
    ]);
    expect(rows[2]!.outcome).toEqual(rows[0]!.outcome);
    expect(await producer.batches.progress('twice')).toMatchObject({ jobs: 2, done: 2, finished: true });
    // Enqueued again under the same id: nothing new, nothing called twice.
    await enqueueRows(producer, 'twice', [free, other, free]);
    expect(await producer.batches.progress('twice')).toMatchObject({ jobs: 2, done: 2, finished: true });
    expect(await producer.queues.create.getJobCounts('wait', 'active', 'delayed')).toEqual({
      wait: 0,
      active: 0,
      delayed: 0,
    });
    await fleet.close();
    await close();
  });

  it('writes chunks while reading on: a row repeating one of an earlier chunk shares its job, and jobs queue in line order', async () => {
    const { producer, close } = await openProducer();
    const talents = ['t1', 't2', 't3', 't1', 't4', 't5', 't3', 't6', 't7', 't8', 't2', 't9'];
    // Two rows a chunk: six chunks, more than are written at once.
    await enqueueRows(
      producer,
      'chunks',
      talents.map((talent_id) => ({ talent_id, job_id: 'j1' })),
      { chunkSize: 2 },
    );
    const waiting = await producer.queues.create.getJobs(['wait'], 0, -1, true);
    expect(waiting.map((job) => job.data.line)).toEqual([2, 3, 4, 6, 7, 9, 10, 11, 13]);
    const rows = await allRows(producer, 'chunks');
    const jobOfLine = new Map(rows.map((r) => [r.line, r.jobId]));
    expect(jobOfLine.get(5)).toBe(jobOfLine.get(2));
    expect(jobOfLine.get(8)).toBe(jobOfLine.get(4));
    expect(jobOfLine.get(12)).toBe(jobOfLine.get(3));
    expect(await producer.batches.progress('chunks')).toMatchObject({ jobs: 9, done: 0 });
    expect(await producer.batches.meta('chunks')).toMatchObject({ sealed: true });
    // A chunk that fails while later ones are in hand fails the whole enqueue, unsealed.
    let chunksDone = 0;
    const failing = enqueueRows(
      producer,
      'broken',
      talents.map((talent_id) => ({ talent_id, job_id: 'j2' })),
      {
        chunkSize: 2,
        onEnqueued: () => {
          if (++chunksDone === 2) throw new Error('second chunk failed');
        },
      },
    );
    await expect(failing).rejects.toThrow('second chunk failed');
    expect(await producer.batches.meta('broken')).toMatchObject({ sealed: false });
    await close();
  });

  it('queues again a row whose job never reached the queue (a producer killed between the two writes)', async () => {
    const { sandbox, prefix, producer, close } = await openProducer({
      config: { fixture: smallFixture(Date.now(), 3) },
    });
    const rows = [
      { talent_id: 'talent-free', job_id: 'job-2' },
      { talent_id: 'talent-other', job_id: 'job-2' },
    ];
    await enqueueRows(producer, 'cut', rows);
    // As if the producer died after recording the rows: their jobs are not in the queue.
    const [lost] = await producer.batches.jobIdsOf('cut', [2]);
    await producer.queues.create.remove(lost!);
    expect(await producer.queues.create.getJobCounts('wait')).toEqual({ wait: 1 });

    await enqueueRows(producer, 'cut', rows);
    expect(await producer.queues.create.getJobCounts('wait')).toEqual({ wait: 2 });
    const fleet = await openFleet(sandbox, {}, { operations: ['create'] }, prefix);
    await fleet.waitForBatch('cut');
    expect(await producer.batches.progress('cut')).toMatchObject({ jobs: 2, counts: { succeeded: 2 } });
    await fleet.close();
    await close();
  });

  it('finishes a batch begun before 0.3 (input in each job) after an upgrade, and takes no new rows into it', async () => {
    const { sandbox, prefix, producer, close } = await openProducer({
      config: { fixture: smallFixture(Date.now(), 3) },
    });
    const input = { talent_id: 'talent-free', job_id: 'job-2' };
    // The layout 0.2 wrote: meta without a number, rows { j, i }, a set of job ids, jobs carrying their input.
    const k = producer.keys.batch('old');
    const jobId = 'create-old-0123456789abcdef0123456789abcdef';
    await producer.redis
      .multi()
      .hset(k.meta, { batchId: 'old', operation: 'create', createdAtMs: String(Date.now()), sealed: '1' })
      .hset(k.rows, '2', JSON.stringify({ j: jobId, i: input }))
      .sadd(k.jobs, jobId)
      .exec();
    await producer.queues.create.add(
      'create old line 2',
      { operation: 'create', input, batchId: 'old', source: { file: '/data/old.csv', line: 2 } } as never,
      { jobId },
    );
    expect(await producer.batches.progress('old')).toMatchObject({ jobs: 1, done: 0 });

    const fleet = await openFleet(sandbox, {}, { operations: ['create'] }, prefix);
    await fleet.waitForBatch('old');
    const report = await buildBatchReport(producer.batches, producer.queues.deadLetter, 'old');
    expect(report).toMatchObject({ state: 'finished', counts: { succeeded: 1 } });
    expect((await allRows(producer, 'old')).map((r) => [r.line, r.input, r.outcome?.status])).toEqual([
      [2, input, 'succeeded'],
    ]);
    await expect(enqueueRows(producer, 'old', [input])).rejects.toBeInstanceOf(LegacyBatchError);
    await fleet.close();
    await close();
  });

  it('keeps one record of a refused row however often the batch is run, and drops it once the row is fixed', async () => {
    const { producer, close } = await openProducer();
    const good = { line: 2, ok: true as const, input: { talent_id: 't1', job_id: 'j1' } };
    const refused = { line: 3, ok: false as const, errors: ['talent_id: required'] };
    const run = (rows: Parameters<typeof enqueueBatch>[2]) =>
      enqueueBatch(producer, { batchId: 'again', operation: 'create' }, rows);
    await run([good, refused]);
    await run([good, refused]);
    expect(await producer.batches.invalidRows('again')).toEqual([
      { line: 3, source: 1, errors: ['talent_id: required'] },
    ]);
    await run([good, { line: 3, ok: true as const, input: { talent_id: 't2', job_id: 'j1' } }]);
    expect(await producer.batches.invalidRows('again')).toEqual([]);
    expect(await producer.batches.progress('again')).toMatchObject({ jobs: 2 });
    await close();
  });
});

/** A producer of this test's own, beside a sandbox; `close` leaves no key of its prefix behind. */
async function openProducer(sandboxOptions?: Parameters<typeof openSandbox>[0]) {
  const sandbox = await openSandbox(sandboxOptions);
  const prefix = testPrefix();
  const producer = openRuntime(sandbox, prefix);
  const close = async () => {
    await producer.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  };
  return { sandbox, prefix, producer, close };
}

/** Enqueues `inputs` as lines 2, 3, ... of one create batch (sealed unless it fails). */
async function enqueueRows(
  runtime: HireRuntime,
  batchId: string,
  inputs: InputOf['create'][],
  options: Partial<EnqueueBatchOptions<'create'>> = {},
) {
  return enqueueBatch(
    runtime,
    { ...options, batchId, operation: 'create' },
    inputs.map((input, i) => ({ line: i + 2, ok: true as const, input })),
  );
}

async function allRows(runtime: HireRuntime, batchId: string): Promise<BatchRow[]> {
  const rows: BatchRow[] = [];
  for await (const chunk of runtime.batches.rowsWithOutcomes(batchId)) rows.push(...chunk);
  return rows;
}
