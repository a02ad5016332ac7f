import { readFileSync } from 'node:fs';
import { startCli } from '../helpers/processes';
import { ConsoleClient } from './console-client';

describe('hire-queue demo --console (issue 29)', () => {
  it('starts the sandbox, a private Redis, workers and the console, and says who to sign in as and what to upload', async () => {
    const demo = startCli(['demo', '--console', '--port', '0']);
    await demo.waitForOutput(/Ctrl-C stops it/);
    const out = demo.stderr();
    const url = /Open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!;
    expect(out).toContain('李娜 Li Na (operator)');
    const sample = /A spreadsheet to upload as 李娜 \(25 terminations and one bad row\): (\S+)/.exec(
      out,
    )![1]!;

    const operator = new ConsoleClient(url);
    expect(await operator.signInAs('ou_sandbox_operator')).toMatchObject({ role: 'operator' });
    const form = new FormData();
    form.append('operation', 'terminate');
    form.append('file', new Blob([new Uint8Array(readFileSync(sample))]), '离职名单.csv');
    const preview = await operator.json<{ total: number; valid: number; uploadId: string }>(
      '/api/v1/uploads',
      {
        method: 'POST',
        body: form,
      },
    );
    expect(preview.body).toMatchObject({ total: 26, valid: 25 });
    const confirmed = await operator.json<{ batchId: string }>('/api/v1/batches', {
      method: 'POST',
      body: JSON.stringify({ uploadId: preview.body.uploadId }),
    });
    expect(confirmed.status).toBe(201);
    // The demo's workers run it: the batch ends.
    const events = await operator.fetch(`/api/v1/batches/${confirmed.body.batchId}/events`);
    const text = await events.text();
    expect(text).toContain('event: end');
    expect(text).toMatch(/"state":"finished"/);
    expect((await demo.stop()).code).toBe(143);
  }, 60_000);
});
