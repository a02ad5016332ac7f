import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDeadLetter, exportDeadLetters, listDeadLetters } from '../../src/lib/batches/dead-letters';
import { replayDeadLetters } from '../../src/producers/replay-dead-letters';
import { enqueueFile } from '../../src/producers/enqueue-file';
import { runCli } from '../helpers/cli';
import { terminateLetter } from '../helpers/dead-letter';
import { openRuntime, testEnv } from '../helpers/runtime';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const dir = mkdtempSync(join(tmpdir(), 'hq-dlq-'));

const letter = (jobId: string, input: Record<string, unknown>) => terminateLetter(jobId, input);

describe('dead letters as a library', () => {
  it('exports to .json a file that enqueue takes back as a JSON array', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
    await addDeadLetter(
      runtime.queues.deadLetter,
      letter('d1', { application_id: 'app-1', termination_type: 1 }),
    );
    await addDeadLetter(
      runtime.queues.deadLetter,
      letter('d2', { application_id: 'app-2', termination_type: 27, termination_reason_list: ['reason-1'] }),
    );
    // A letter of an older version that holds no input is named, never written as an empty row.
    await addDeadLetter(runtime.queues.deadLetter, letter('d0', {}));
    const out = join(dir, 'fix.json');
    expect(await exportDeadLetters(runtime.queues.deadLetter, { batchId: 'night-1' }, out)).toEqual({
      count: 2,
      operation: 'terminate',
      withoutInput: ['d0'],
    });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(2);
    const again = await enqueueFile(runtime, { operation: 'terminate', path: out, batchId: 'fixed' });
    expect(again).toMatchObject({ rows: 2, accepted: 2, invalidCount: 0, enqueued: true });
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });

  it('replays what still validates and reports what does not as invalid rows, keeping those letters', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 3) } });
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
    const queue = runtime.queues.deadLetter;
    await addDeadLetter(queue, letter('good', { application_id: 'app-1', termination_type: 1 }));
    await addDeadLetter(queue, letter('stale-shape', { application_id: 'app-2', termination_type: 3 }));

    const result = await replayDeadLetters(runtime, { batchId: 'night-1' }, { intoBatchId: 'replay-1' });
    expect(result).toMatchObject({ batchId: 'replay-1', accepted: 1, invalidCount: 1 });
    expect(result?.kept).toEqual([
      { jobId: 'stale-shape', errors: [expect.stringMatching(/^dead letter stale-shape: termination_type/)] },
    ]);
    expect((await listDeadLetters(queue)).map((j) => j.data.jobId)).toEqual(['stale-shape']);
    expect(await runtime.batches.invalidRows('replay-1')).toEqual([
      {
        line: 2,
        source: 1,
        file: 'dead letters of batch night-1',
        errors: result?.kept[0]?.errors,
        input: { application_id: 'app-2', termination_type: 3 },
      },
    ]);
    expect(await runtime.queues.terminate.count()).toBe(1);

    // The command reports it like any invalid row: exit 3, no stack trace.
    const replay = await runCli(['dlq', 'replay', '--batch', 'night-1'], testEnv(sandbox, prefix));
    expect(replay.code).toBe(3);
    expect(replay.stderr).toMatch(/1 dead letter\(s\) no longer valid, kept in the dead-letter queue/);
    expect(replay.stderr).toMatch(/stale-shape: dead letter stale-shape: termination_type must be 1/);
    expect(replay.stderr).not.toMatch(/unexpected error|\n\s+at /);
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });
});
