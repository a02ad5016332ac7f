// npm run bench:console — the console under load, in a process of its own (`hire-queue console`):
// (1) a 1,000,000-row upload, as CSV and as .xlsx, with the time to the preview and the console's
// peak memory (the kernel's high-water mark of its resident set, VmHWM); (2) the p95 of page and API
// answers while a batch of terminations runs at the full limit (20/s) with `hire-queue work` in
// another process. BENCH_CONSOLE_ROWS (1000000), BENCH_CONSOLE_BATCH_ROWS (600),
// BENCH_CONSOLE_PARTS (upload,latency) size and narrow it.
import { spawn, type ChildProcess } from 'node:child_process';
import { openAsBlob, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { Redis } from 'ioredis';
import { startSandbox } from '../src/sandbox/sandbox-server';
import { deleteKeysUnder } from './prefix-keys';
import { REDIS_URL, sandboxEnv } from './sandbox-env';

const ROWS = Number(process.env.BENCH_CONSOLE_ROWS ?? 1_000_000);
const BATCH_ROWS = Number(process.env.BENCH_CONSOLE_BATCH_ROWS ?? 600);
const PARTS = (process.env.BENCH_CONSOLE_PARTS ?? 'upload,latency').split(',');
const bin = join(__dirname, '..', '..', 'bin', 'hire-queue.js');
const ADMIN = 'ou_sandbox_admin';

const report = (line: string) => process.stdout.write(`${line}\n`);

/** The console's peak resident memory so far, in MB (Linux: VmHWM of /proc/PID/status). */
function peakMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A browser's session: the cookie and the CSRF token, after signing in through the sandbox. */
class Session {
  cookie = '';
  csrf = '';
  constructor(readonly url: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cookie', this.cookie);
    if (init.method && init.method !== 'GET') headers.set('x-csrf-token', this.csrf);
    const res = await fetch(path.startsWith('http') ? path : `${this.url}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie())
      if (line.startsWith('hq_console=')) this.cookie = line.split(';')[0]!;
    return res;
  }

  async signIn(openId: string): Promise<void> {
    const authorize = (await this.fetch('/auth/login')).headers.get('location')!;
    const html = await (await fetch(authorize)).text();
    const href = new RegExp(`href="([^"]*open_id=${openId})"`).exec(html)![1]!.replace(/&amp;/g, '&');
    const back = (await fetch(new URL(href, authorize), { redirect: 'manual' })).headers.get('location')!;
    await this.fetch(back);
    this.csrf = ((await (await this.fetch('/api/v1/me')).json()) as { csrfToken: string }).csrfToken;
  }
}

async function startConsole(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'console', '--port', '0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  for (;;) {
    const found = /console on (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
    if (found) return { child, url: found[1]! };
    if (child.exitCode !== null) throw new Error(`the console did not start: ${err}`);
    await once(child.stderr!, 'data');
  }
}

async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('投递ID,终止类型,终止备注\n');
  for (let i = 1; i <= ROWS; i++)
    if (!out.write(`${7_300_000_000_000_000_000n + BigInt(i)},1,招聘季结束\n`)) await once(out, 'drain');
  out.end();
  await finished(out);
}

async function writeXlsx(path: string): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
  const sheet = workbook.addWorksheet('rows');
  sheet.addRow(['投递ID', '终止类型', '终止备注']).commit();
  for (let i = 1; i <= ROWS; i++)
    sheet.addRow([String(7_300_000_000_000_000_000n + BigInt(i)), '1', '招聘季结束']).commit();
  sheet.commit();
  await workbook.commit();
}

async function uploads(): Promise<void> {
  const sandbox = await startSandbox({});
  const prefix = `{bench-console-upload-${Date.now().toString(36)}}`;
  const env = sandboxEnv(sandbox.url, prefix, { LOG_LEVEL: 'warn', HIRE_CONSOLE_ADMINS: ADMIN });
  const dir = mkdtempSync(join(tmpdir(), 'hq-bench-console-'));
  const console = await startConsole(env);
  try {
    const session = new Session(console.url);
    await session.signIn(ADMIN);
    const idleMb = peakMb(console.child.pid!);
    for (const [format, write] of [
      ['csv', writeCsv],
      ['xlsx', writeXlsx],
    ] as const) {
      const path = join(dir, `rows.${format}`);
      await write(path);
      const form = new FormData();
      form.append('operation', 'terminate');
      form.append('file', await openAsBlob(path), `rows.${format}`);
      const started = performance.now();
      const res = await session.fetch('/api/v1/uploads', { method: 'POST', body: form });
      const body = (await res.json()) as { total?: number; valid?: number; error?: unknown };
      const seconds = (performance.now() - started) / 1000;
      if (body.total !== ROWS) throw new Error(`upload of ${format}: ${JSON.stringify(body).slice(0, 300)}`);
      report(
        `upload ${ROWS} rows as .${format} (${(readFileSync(path).length / 1024 / 1024).toFixed(1)} MB): preview in ${seconds.toFixed(1)} s ` +
          `(${body.valid} valid); console peak RSS so far ${peakMb(console.child.pid!).toFixed(0)} MB (idle after sign-in: ${idleMb.toFixed(0)} MB)`,
      );
    }
  } finally {
    console.child.kill('SIGTERM');
    await once(console.child, 'exit');
    rmSync(dir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    await sandbox.close();
  }
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

async function latency(): Promise<void> {
  const now = Date.now();
  const stages = [{ id: 'stage-screen', zh_name: '简历筛选', en_name: 'Screening', type: 1 }];
  const sandbox = await startSandbox({
    config: {
      fixture: {
        talents: Array.from({ length: BATCH_ROWS }, (_, i) => ({ id: `talent-${i}` })),
        jobs: [{ id: 'job-1', stages }],
        resumeSources: [],
        employees: [],
        terminationReasons: [],
        applications: Array.from({ length: BATCH_ROWS }, (_, i) => ({
          id: `app-${i}`,
          job_id: 'job-1',
          talent_id: `talent-${i}`,
          stage_id: 'stage-screen',
          active_status: 1 as const,
          create_time: now - 90 * 86_400_000,
          modify_time: now - 60 * 86_400_000,
        })),
      },
    },
  });
  const prefix = `{bench-console-latency-${now.toString(36)}}`;
  const env = sandboxEnv(sandbox.url, prefix, {
    LOG_LEVEL: 'warn',
    HIRE_CONSOLE_ADMINS: ADMIN,
    HIRE_CONSOLE_CONFIRM_ROWS: String(BATCH_ROWS * 10),
  });
  const console = await startConsole(env);
  const worker = spawn(process.execPath, [bin, 'work', '--queues', 'terminate'], { env, stdio: 'ignore' });
  try {
    const session = new Session(console.url);
    await session.signIn(ADMIN);
    const csv = `application_id,termination_type\n${Array.from({ length: BATCH_ROWS }, (_, i) => `app-${i},1`).join('\n')}\n`;
    const form = new FormData();
    form.append('operation', 'terminate');
    form.append('file', new Blob([csv]), 'close.csv');
    const preview = (await (
      await session.fetch('/api/v1/uploads', { method: 'POST', body: form })
    ).json()) as {
      uploadId: string;
    };
    const started = await session.fetch('/api/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uploadId: preview.uploadId, batchId: 'load' }),
    });
    if (started.status !== 201) throw new Error(`confirm: ${started.status} ${await started.text()}`);
    const kinds: Record<string, string> = {
      'page /batches/load': '/batches/load',
      'GET /api/v1/batches': '/api/v1/batches',
      'GET /api/v1/batches/load': '/api/v1/batches/load',
      'GET /api/v1/me': '/api/v1/me',
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    let state = 'running';
    let rounds = 0;
    while (state === 'running') {
      for (const [kind, path] of Object.entries(kinds)) {
        const t0 = performance.now();
        const res = await session.fetch(path);
        const text = await res.text();
        times[kind]!.push(performance.now() - t0);
        if (kind === 'GET /api/v1/batches/load') state = (JSON.parse(text) as { state: string }).state;
      }
      rounds++;
    }
    report(
      `while a batch of ${BATCH_ROWS} terminations ran at 20/s (${rounds} rounds of requests, one after another): p95 ` +
        Object.entries(times)
          .map(([kind, values]) => `${kind} ${p95(values).toFixed(1)} ms`)
          .join(', '),
    );
  } finally {
    worker.kill('SIGTERM');
    console.child.kill('SIGTERM');
    await Promise.all([once(worker, 'exit'), once(console.child, 'exit')]);
    const redis = new Redis(REDIS_URL);
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  report(`${new Date().toISOString().slice(0, 10)}; Node ${process.version}; Redis at ${REDIS_URL}`);
  if (PARTS.includes('upload')) await uploads();
  if (PARTS.includes('latency')) await latency();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
