import { InputFileError } from '../../src/lib/errors/input-file-error';
import { enqueueFile } from '../../src/producers/enqueue-file';
import { inputDir } from '../helpers/files';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';

const files = inputDir('enqueue');

describe('enqueueBatch', () => {
  it('opens a batch only with its first row: a refused file leaves nothing behind', async () => {
    const sandbox = await openSandbox();
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
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
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });
});
