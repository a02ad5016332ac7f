import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchReport } from '../../src/lib/batches/batch-report';
import type { FleetStatus } from '../../src/lib/fleet/fleet-status';
import type { BotMessage } from '../../src/sandbox/sandbox-server';
import { generatedIds } from '../../src/sandbox/hire-state';
import { runCli } from '../helpers/cli';
import { startCli } from '../helpers/processes';
import { openRedis, testPrefix } from '../helpers/redis';
import { testEnv } from '../helpers/runtime';
import { openSandbox } from '../helpers/sandbox';
import { smallFixture } from '../sandbox/fixture';

const dir = mkdtempSync(join(tmpdir(), 'hq-ops-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

/** `value{labels}` of a metric line in Prometheus text, or undefined. */
function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && l.startsWith(`${name} `)),
    );
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('operating a fleet', () => {
  it('serves metrics that move, health that turns 503 on a fleet halt, and a status that counts workers', async () => {
    const sandbox = await openSandbox({
      config: {
        generate: { talents: 12, jobs: 1, applications: 0, employees: 0, maxAgeDays: 1 },
        // Feishu stricter than hire-queue believes: 429s happen, and are counted.
        limits: { create: [{ limit: 4, windowMs: 1000 }] },
        bots: [{ hook: 'ops-room' }],
      },
    });
    const prefix = testPrefix();
    const env = testEnv(sandbox, prefix);
    const work = startCli(['work', '--queues', 'create', '--metrics-port', '0'], {
      env: { ...env, LOG_LEVEL: 'info' },
    });
    await work.waitForOutput(/metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    const base = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(work.stderr())![1]!;
    await work.waitForOutput('workers started');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const talents = Array.from(
      { length: 12 },
      (_, i) => `${generatedIds.talent(i + 1)},${generatedIds.job(1)}`,
    );
    const creates = file('creates.csv', `talent_id,job_id\n${talents.join('\n')}\n`);
    expect((await runCli(['enqueue', 'create', '--file', creates, '--batch', 'm1'], env)).code).toBe(0);
    expect((await runCli(['batch', 'm1', '--wait'], env)).code).toBe(0);

    const text = await (await fetch(`${base}/metrics`)).text();
    expect(metric(text, 'hire_queue_jobs_total', 'operation="create",outcome="succeeded",code="0"')).toBe(12);
    expect(metric(text, 'hire_queue_rate_limited_total', 'endpoint="create"')).toBeGreaterThan(0);
    expect(metric(text, 'hire_queue_token_fetches_total')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'hire_queue_queue_jobs', 'queue="create",state="completed"')).toBe(12);
    expect(metric(text, 'hire_queue_queue_jobs', 'queue="dead-letter",state="waiting"')).toBe(0);
    // The 429s widened the learned margin above its floor (10 ms).
    expect(metric(text, 'hire_queue_limiter_margin_seconds', 'endpoint="create"')).toBeGreaterThan(0.01);
    expect(text).toMatch(
      /hire_queue_feishu_request_duration_seconds_count\{endpoint="create application",code="0"\} 12/,
    );
    expect(text).toMatch(/hire_queue_limiter_wait_seconds_count\{endpoint="create"\} \d+/);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    // One log line per job outcome, with what a person searches for.
    const outcomeLines = work
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"job finished"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(outcomeLines).toHaveLength(12);
    expect(outcomeLines[0]).toMatchObject({
      batchId: 'm1',
      operation: 'create',
      outcome: 'succeeded',
      code: '0',
      attempt: 1,
    });
    expect(outcomeLines[0]).toHaveProperty('line');
    expect(outcomeLines[0]).toHaveProperty('durationMs');

    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as FleetStatus;
    expect(parsed.workers).toEqual({ create: 1, terminate: 0 });
    expect(parsed.queues.create.completed).toBe(12);
    expect(parsed.halt).toBeNull();
    expect(parsed.batches[0]).toMatchObject({
      batchId: 'm1',
      operation: 'create',
      state: 'finished',
      etaSeconds: null,
    });
    expect(parsed.limiter.create.marginMs).toBeGreaterThan(10);
    expect(parsed.limiter.create.allowance).toBeCloseTo(1000 / (1000 + parsed.limiter.create.marginMs), 3);

    // The app loses its scope: a terminate worker halts the fleet; the create worker's health says so.
    sandbox.config.apps[0]!.hireScope = false;
    const terminator = await runCli(
      [
        'run',
        'terminate',
        '--file',
        file('t.csv', 'application_id,termination_type\n7300000000000000001,1\n'),
      ],
      env,
    );
    expect(terminator.code).toBe(1);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { reason: string }).reason).toMatch(
      /fleet halted by Feishu 99991672.*hire:application/,
    );
    expect((await work.stop('SIGTERM')).code).toBe(143);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });

  it('prints its version', async () => {
    const result = await runCli(['--version'], {});
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('a message to the team when a batch ends', () => {
  const hook = 'team-hook-9f8e7d';
  const secret = 'bot-signing-secret';

  it('posts exactly one signed card for a batch run by two workers, naming the commonest dead-letter codes', async () => {
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 20), bots: [{ hook, secret }] },
    });
    const prefix = testPrefix();
    const env = {
      ...testEnv(sandbox, prefix),
      HIRE_NOTIFY_WEBHOOK: `${sandbox.url}/open-apis/bot/v2/hook/${hook}`,
      HIRE_NOTIFY_SECRET: secret,
      HIRE_CONSOLE_URL: 'https://hire.example.com/',
      LOG_LEVEL: 'info',
    };
    const workers = [startCli(['work'], { env }), startCli(['work'], { env })];
    for (const w of workers) await w.waitForOutput('workers started');
    const posted = new Promise<BotMessage>((resolve) => sandbox.onBotMessage(resolve));
    const rows = Array.from({ length: 20 }, (_, i) => `app-${i + 1},1`).concat([
      'app-ghost,1',
      'app-ghost-2,27',
    ]);
    const close = file('close.csv', `application_id,termination_type\n${rows.join('\n')}\n`);
    expect((await runCli(['enqueue', 'terminate', '--file', close, '--batch', 'notify-1'], env)).code).toBe(
      0,
    );
    const waited = await runCli(['batch', 'notify-1', '--wait', '--json'], env);
    expect((JSON.parse(waited.stdout) as BatchReport).state).toBe('finished');
    const message = await posted;
    for (const w of workers) expect((await w.stop('SIGTERM')).code).toBe(143);

    expect(sandbox.botMessages()).toHaveLength(1);
    expect(message.code).toBe(0);
    const text = JSON.stringify(message.message);
    expect(message.message.msg_type).toBe('interactive');
    expect(text).toContain('notify-1');
    expect(text).toContain('finished');
    expect(text).toContain('20 succeeded');
    expect(text).toContain('2 dead-lettered');
    expect(text).toMatch(/1002002 ×2 \(parameter error\)/);
    expect(text).toContain('hire-queue dlq list --batch notify-1');
    // With the console's address, the card links to the batch's page.
    expect(text).toContain('https://hire.example.com/batches/notify-1');
    // The webhook and its secret are secrets: in no log line, nowhere in Redis.
    const logs = workers.map((w) => w.stderr()).join('\n');
    expect(logs).not.toContain(hook);
    expect(logs).not.toContain(secret);
    const redis = openRedis(prefix);
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      const dump =
        type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'string'
            ? await redis.get(key)
            : '';
      expect(dump ?? '').not.toContain(hook);
    }
    await redis.closeAndClean();
    await sandbox.close();
  });

  it('logs a wrong secret (19021) and ends the batch as it would have', async () => {
    const sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now(), 3), bots: [{ hook, secret }] },
    });
    const prefix = testPrefix();
    const refused = new Promise<BotMessage>((resolve) => sandbox.onBotMessage(resolve));
    const run = await runCli(
      [
        'run',
        'terminate',
        '--file',
        file('one.csv', 'application_id,termination_type\napp-1,1\n'),
        '--notify-webhook',
        `${sandbox.url}/open-apis/bot/v2/hook/${hook}`,
      ],
      { ...testEnv(sandbox, prefix), HIRE_NOTIFY_SECRET: 'not-the-bot-secret', LOG_LEVEL: 'warn' },
    );
    expect(run.code).toBe(0);
    expect((await refused).code).toBe(19021);
    expect(run.stderr).toMatch(/the group message failed after retries/);
    expect(run.stderr).toMatch(/19021/);
    expect(run.stderr).not.toContain(hook);
    await openRedis(prefix).closeAndClean();
    await sandbox.close();
  });
});
