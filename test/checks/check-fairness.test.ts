import { checkRows } from '../../src/lib/checks/check-rows';
import type { AcceptedRow } from '../../src/lib/batches/enqueue-batch';
import { openSandbox } from '../helpers/sandbox';
import { openFleet } from '../helpers/workers';
import { smallFixture } from '../sandbox/fixture';

/**
 * Issue 30: a check reads in the read limit's background lane, so a guarded close-out running
 * beside it keeps its pace. The close-out's rows carry no job: each is guarded by a read of its
 * application, 10 reads a second of the 20 allowed here, so a check taking reads as they come
 * would slow it. Compared as a ratio of two runs in the same test.
 */
describe('a check beside a guarded close-out (issue 30)', () => {
  it('leaves the close-out’s rate within 5% of its rate alone', async () => {
    const rowsPerRun = 100;
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 2 * rowsPerRun + 2000) },
    });
    // 10 terminations a second, each guarded by a read: half of the 20 reads a second allowed.
    const fleet = await openFleet(
      sandbox,
      { HIRE_LIMIT_TERMINATE: '10/s', HIRE_LIMIT_READ: '20/s,1000/min' },
      { operations: ['terminate'] },
    );
    const arrivals = new Map<string, number>();
    const stop = sandbox.onArrival((event) => {
      if (event.endpoint === 'terminate') arrivals.set(event.applicationId!, event.arrivedMs);
    });
    const cutoff = Date.now() - 86_400_000;
    const closeOut = async (batchId: string, first: number) => {
      const ids = Array.from({ length: rowsPerRun }, (_, i) => `app-${first + i}`);
      await fleet.enqueue(
        'terminate',
        batchId,
        ids.map((application_id) => ({ application_id, termination_type: 1, if_not_updated_since: cutoff })),
      );
      await fleet.waitForBatch(batchId);
      const times = ids.map((id) => arrivals.get(id)!).sort((a, b) => a - b);
      expect(times).toHaveLength(rowsPerRun);
      return ((rowsPerRun - 1) * 1000) / (times.at(-1)! - times[0]!);
    };

    const alone = await closeOut('alone', 1);

    const checkRowsOf: AcceptedRow<'terminate'>[] = Array.from({ length: 2000 }, (_, i) => ({
      line: i + 2,
      input: { application_id: `app-${2 * rowsPerRun + 1 + i}`, termination_type: 1 },
    }));
    let checked = 0;
    const stopCheck = new AbortController();
    const readsBefore = sandbox.stats().endpoints.getApplication.calls;
    const check = checkRows({
      client: fleet.runtime.client,
      operation: 'terminate',
      rows: checkRowsOf,
      signal: stopCheck.signal,
      // Eager: more readers than the guard has jobs in flight, as a check of a big file could be.
      concurrency: 24,
      onFinding: () => void checked++,
    }).catch(() => undefined);
    const beside = await closeOut('beside', rowsPerRun + 1);
    stopCheck.abort();
    await check;
    stop();

    // The check ran all along (it read beside the guard's reads), and took none of the pace.
    const reads = sandbox.stats().endpoints.getApplication.calls - readsBefore;
    expect(checked).toBeGreaterThan(rowsPerRun / 2);
    expect(reads).toBeGreaterThan(rowsPerRun + checked - 5);
    expect(beside / alone).toBeGreaterThanOrEqual(0.95);
    // Nothing refused: the two shared the limit without a 429.
    expect(sandbox.stats().endpoints.getApplication.http429).toBe(0);
    await fleet.close();
    await sandbox.close();
  }, 60_000);
});
