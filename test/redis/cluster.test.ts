import { Cluster } from 'ioredis';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import type { DoctorCheck } from '../../src/lib/fleet/doctor';
import { BatchedScript } from '../../src/lib/redis/batched-script';
import { defineScript } from '../../src/lib/redis/lua-script';
import { runCli } from '../helpers/cli';
import { inputDir, terminateCsv } from '../helpers/files';
import { startCli } from '../helpers/processes';
import { missingRedisServer, startRedisCluster } from '../helpers/redis-topologies';
import { testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const missing = missingRedisServer();
if (missing) console.warn(`Redis Cluster test skipped: ${missing}`);
const maybe = missing ? it.skip : it;

describe('Redis Cluster', () => {
  maybe(
    'runs a batch end to end with two workers on a cluster of three masters, every key in the prefix slot',
    async () => {
      const cluster = await startRedisCluster(3);
      const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 20) } });
      const prefix = testPrefix();
      const env = { ...testEnv(sandbox, prefix), REDIS_CLUSTER_NODES: cluster.nodes.join(',') };
      const workerEnv = { ...env, LOG_LEVEL: 'info' };
      const workers = [startCli(['work'], { env: workerEnv }), startCli(['work'], { env: workerEnv })];
      await Promise.all(workers.map((w) => w.waitForOutput('workers started')));

      const input = inputDir('cluster').write('close.csv', terminateCsv(1, 20));
      expect((await runCli(['enqueue', 'terminate', '--file', input, '--batch', 'c-1'], env)).code).toBe(0);
      const waited = await runCli(['batch', 'c-1', '--wait', '--json'], env);
      expect(waited.code).toBe(0);
      const report = JSON.parse(waited.stdout) as BatchReport;
      expect(report.counts.succeeded).toBe(20);
      expect(sandbox.stats().endpoints.terminate.successes).toBe(20);
      // Both workers took part: BullMQ saw two, and each logged outcomes.
      const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
        workers: { terminate: number };
      };
      expect(status.workers.terminate).toBe(2);

      // Every key on the cluster is hire-queue's (BullMQ's and the limiter's included), all in one slot.
      const client = new Cluster(
        cluster.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
      );
      await client.ping(); // it knows its masters once connected
      const keys: string[] = [];
      for (const node of client.nodes('master')) keys.push(...(await node.keys('*')));
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.filter((key) => !key.startsWith(prefix))).toEqual([]);
      expect(keys.some((key) => key.includes(':limiter:'))).toBe(true);
      expect(keys.some((key) => key.startsWith(`${prefix}:terminate:`))).toBe(true);
      const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);

      // The per-job scripts' calls of one turn go as one EVALSHA, to the node of the prefix's slot.
      const incrBy = defineScript({
        name: 'test-incrby',
        source: `return redis.call('INCRBY', KEYS[1], ARGV[1])`,
        keys: ['counter'],
        args: ['by'],
      });
      const counter = new BatchedScript(client, incrBy);
      const totals = await Promise.all(
        [1, 2, 3].map((n) => counter.run({ counter: `${prefix}:batched-${n % 2}` }, { by: n })),
      );
      expect(totals).toEqual([1, 2, 4]);
      expect(counter.counts).toEqual({ calls: 3, sends: 1 });

      const doctor = await runCli(['doctor', '--json'], env);
      const checks = (JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks;
      expect(checks.find((c) => c.name === 'cluster-slot')).toMatchObject({
        status: 'ok',
        message: expect.stringContaining(`slot ${[...slots][0]}`),
      });
      // Not in cluster mode, against a cluster node: the doctor says what to set.
      const single = await runCli(['doctor', '--json'], {
        ...env,
        REDIS_CLUSTER_NODES: undefined,
        REDIS_URL: `redis://${cluster.nodes[0]}`,
      });
      const singleChecks = (JSON.parse(single.stdout) as { checks: DoctorCheck[] }).checks;
      expect(singleChecks.find((c) => c.name === 'cluster-slot')).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('REDIS_CLUSTER_NODES'),
      });

      client.disconnect();
      await Promise.all(workers.map((w) => w.stop()));
      await sandbox.close();
      await cluster.stop();
    },
    120_000,
  );

  it('refuses cluster mode with a prefix that has no hash tag', async () => {
    const sandbox = await openSandbox();
    const result = await runCli(['status'], {
      ...testEnv(sandbox, 'no-tag-prefix'),
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HIRE_QUEUE_PREFIX must hold a hash tag in cluster mode');
    await sandbox.close();
  });
});
