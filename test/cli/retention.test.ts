import { addDeadLetter, pruneDeadLetters } from '../../src/lib/batches/dead-letters';
import { terminateLetter } from '../helpers/dead-letter';
import { BATCH_RETENTION_S } from '../../src/lib/retention';
import { runCli } from '../helpers/cli';
import { inputDir } from '../helpers/files';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime, testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('retention');

describe('what a batch leaves in Redis (issue 27, finding 5)', () => {
  it('expires with the batch: after several nightly runs, no key but the queues’ bounded ones and the ledger lacks a TTL', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 12) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    for (let night = 0; night < 4; night++) {
      const ids = [1, 2, 3].map((i) => `app-${night * 3 + i}`);
      const csv = `application_id,termination_type\n${ids.map((id) => `${id},1`).join('\n')}\nghost-${night},1\n,1\n`;
      const run = await runCli(
        ['run', 'terminate', '--file', files.write(`night-${night}.csv`, csv), '--batch', `night-${night}`],
        env,
      );
      expect(run.code).toBe(3);
    }
    const redis = openRedis(prefix);
    const withoutTtl: string[] = [];
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<
      string[]
    >)
      for (const key of keys)
        if ((await redis.ttl(key)) === -1) withoutTtl.push(key.slice(prefix.length + 1));
    // BullMQ's own keys of the three queues (finished jobs bounded by count and age, dead letters
    // pruned to the retention), the ledger (pruned to its own), the batch counter and the index of
    // batches (pruned to the retention as batches open).
    const bounded = /^((create|terminate|dead-letter):|ledger|batch-seq$|batches$)/;
    expect(withoutTtl.filter((key) => !bounded.test(key))).toEqual([]);
    const batchTtls = await Promise.all((await redis.keys(`${prefix}:batch:*`)).map((key) => redis.ttl(key)));
    expect(batchTtls.length).toBeGreaterThan(4 * 4);
    for (const ttl of batchTtls) expect(ttl).toBeGreaterThan(BATCH_RETENTION_S - 600);
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('prunes dead letters past the retention', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 1) } });
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
    const letter = (jobId: string) =>
      terminateLetter(jobId, { application_id: jobId, termination_type: 1 }, 'old');
    await addDeadLetter(runtime.queues.deadLetter, letter('fresh'));
    await runtime.queues.deadLetter.add('terminate', letter('stale'), {
      jobId: 'stale',
      timestamp: Date.now() - (BATCH_RETENTION_S + 3600) * 1000,
    });
    expect(await pruneDeadLetters(runtime.queues.deadLetter)).toBe(1);
    expect((await runtime.queues.deadLetter.getWaiting()).map((j) => j.id)).toEqual(['fresh']);
    await openRedis(prefix).closeAndClean();
    await runtime.close();
    await sandbox.close();
  });
});
