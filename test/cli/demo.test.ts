import { runCli } from '../helpers/cli';

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
