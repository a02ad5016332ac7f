import type { BatchReport } from '../../src/lib/batches/batch-report';
import { runCli } from '../helpers/cli';
import { inputDir } from '../helpers/files';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

const files = inputDir('closeout');

describe('the guard of a stale close-out (issue 32)', () => {
  it('never terminates an application touched during the close-out, after the batch was listed, and lists the job instead of reading each row', async () => {
    // 40 applications of job-1, modified 10 to 400 days ago.
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 40) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix, { HIRE_LIMIT_TERMINATE: '10/s' });
    const stale = ['enqueue', 'stale', '--job-id', 'job-1', '--older-than', '5d', '--termination-type', '1'];
    const enqueued = await runCli([...stale, '--yes', '--batch', 'close1'], env);
    expect(enqueued.code).toBe(0);
    const listingsBefore = sandbox.stats().endpoints.listApplications.calls;
    // A recruiter moves app-35 once the close-out is under way (ten calls in), long before its turn.
    const terminated: string[] = [];
    const touched = new Promise<void>((resolve) =>
      sandbox.onArrival((event) => {
        if (event.endpoint !== 'terminate') return;
        terminated.push(event.applicationId!);
        if (terminated.length === 10) {
          sandbox.touchApplication('app-35');
          resolve();
        }
      }),
    );
    const fleet = await openFleet(
      sandbox,
      { HIRE_LIMIT_TERMINATE: '10/s' },
      { operations: ['terminate'] },
      prefix,
    );
    await touched;
    await fleet.waitForBatch('close1');
    const report = JSON.parse((await runCli(['batch', 'close1', '--json'], env)).stdout) as BatchReport;
    expect(report.counts).toMatchObject({ total: 40, succeeded: 39, skipped: 1 });
    expect(terminated).not.toContain('app-35');
    expect(sandbox.state.applications.get('app-35')?.active_status).toBe(1);
    const stats = sandbox.stats().endpoints;
    // No read per row: the job's listing, renewed about once a second while the rows went out.
    expect(stats.getApplication.calls).toBe(0);
    expect(stats.listApplications.calls - listingsBefore).toBeLessThan(20);
    await fleet.close();
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('still reads each application of rows that carry no job', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 6) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const cutoff = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const rows = ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-6'].map((id) => `${id},1,${cutoff}`);
    const path = files.write(
      'nojob.csv',
      `application_id,termination_type,if_not_updated_since\n${rows.join('\n')}\n`,
    );
    sandbox.touchApplication('app-4');
    const run = await runCli(['run', 'terminate', '--file', path, '--json'], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ counts: { total: 6, succeeded: 5, skipped: 1 } });
    const stats = sandbox.stats().endpoints;
    expect(stats.getApplication.calls).toBe(6);
    expect(stats.listApplications.calls).toBe(0);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});

describe('a row naming the wrong job (issue 32)', () => {
  it('is read on its own: the job’s listing cannot vouch for another job’s application', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now(), 4) } });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const cutoff = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const path = files.write(
      'wrongjob.csv',
      [
        'application_id,termination_type,if_not_updated_since,job_id',
        `app-1,1,${cutoff},job-1`,
        `app-2,1,${cutoff},job-1`,
        // app-3 is job-1's, and a recruiter moved it: named with job-2, the listing of job-2 knows nothing of it.
        `app-3,1,${cutoff},job-2`,
      ].join('\n'),
    );
    sandbox.touchApplication('app-3');
    const run = await runCli(['run', 'terminate', '--file', path, '--json'], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ counts: { total: 3, succeeded: 2, skipped: 1 } });
    expect(sandbox.state.applications.get('app-3')?.active_status).toBe(1);
    expect(sandbox.stats().endpoints.getApplication.calls).toBe(1);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
