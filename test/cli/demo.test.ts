import { runCli } from '../helpers/cli';
import { openRedis, TEST_REDIS_URL, testPrefix } from '../helpers/redis';

describe('hire-queue demo (the README quick start)', () => {
  it('runs a whole session on a fresh machine: its own sandbox and redis-server, reports, exit 0', async () => {
    const result = await runCli(['demo'], { REDIS_URL: undefined, HIRE_QUEUE_PREFIX: undefined });
    expect(result.stderr).toMatch(/private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/Batch demo-create-\S+ \(create, .*nightly-sync\.csv\)/);
    expect(result.stdout).toMatch(
      /16\d rows: 1\d\d succeeded.*, 10 dead-lettered, 0 cancelled, 2 invalid, 0 pending/,
    );
    expect(result.stdout).toMatch(/line \d+: 1002206 duplicate application/);
    expect(result.stdout).toMatch(
      /Batch demo-close-\S+ \(terminate.*\): finished\n\s+\d+ rows: \d+ succeeded/,
    );
    expect(result.stderr).toMatch(/Demo finished in \d+\.\d s/);
    expect(result.code).toBe(0);
  });
});

describe('hire-queue demo against your Redis (issue 27, finding 18)', () => {
  it('keeps its keys under HIRE_QUEUE_PREFIX when given one, and leaves none behind when not', async () => {
    const prefix = testPrefix();
    const redis = openRedis(prefix);
    const before = new Set(await redis.keys('{hire-queue-demo-*'));
    const kept = await runCli(['demo'], { REDIS_URL: TEST_REDIS_URL, HIRE_QUEUE_PREFIX: prefix });
    expect(kept.code).toBe(0);
    expect((await redis.keys(`${prefix}:batch:*`)).length).toBeGreaterThan(0);
    const own = await runCli(['demo'], { REDIS_URL: TEST_REDIS_URL, HIRE_QUEUE_PREFIX: undefined });
    expect(own.code).toBe(0);
    expect(own.stderr).toMatch(/keys under \{hire-queue-demo-\w+\} are deleted/);
    expect((await redis.keys('{hire-queue-demo-*')).filter((key) => !before.has(key))).toEqual([]);
    await redis.closeAndClean();
  });
});
