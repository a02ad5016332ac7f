import { startConsole, type RunningConsole } from '../../src/console/console-server';
import { consoleSettingsFrom } from '../../src/console/console-settings';
import { ConfigError } from '../../src/lib/errors/config-error';
import { loadConfig } from '../../src/lib/config';
import { authorizeBaseOf } from '../../src/lib/feishu/user-sign-in';
import { silentLogger } from '../../src/lib/logger';
import type { HireRuntime } from '../../src/lib/runtime/hire-runtime';
import { deleteKeys, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';
import { enqueueInputs } from '../helpers/workers';
import { ConsoleClient } from './console-client';

const ADMIN = 'ou_sandbox_admin';
const OPERATOR = 'ou_sandbox_operator';
const VIEWER = 'ou_sandbox_viewer';

describe('the console’s sign-in, roles and API (issue 29)', () => {
  let sandbox: TestSandbox;
  let runtime: HireRuntime;
  let prefix: string;
  let consoles: RunningConsole[];

  const start = async (env: NodeJS.ProcessEnv = {}) => {
    const running = await startConsole(
      runtime,
      consoleSettingsFrom({ port: 0 }, { HIRE_CONSOLE_ADMINS: ADMIN, ...env }),
      silentLogger,
    );
    consoles.push(running);
    return running;
  };

  beforeEach(async () => {
    sandbox = await openSandbox();
    prefix = testPrefix();
    runtime = openRuntime(sandbox, prefix);
    consoles = [];
  });
  afterEach(async () => {
    for (const running of consoles) await running.close();
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await sandbox.close();
  });

  it('answers 401 without a session, signs people in through Feishu, and enforces roles on the server', async () => {
    const console1 = await start();
    const stranger = new ConsoleClient(console1.url);
    expect((await stranger.json('/api/v1/me')).status).toBe(401);
    // A page asks a browser without a session to sign in, and comes back to it afterwards.
    const page = await stranger.fetch('/batches/b-1');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fbatches%2Fb-1');

    const admin = new ConsoleClient(console1.url);
    expect(await admin.signInAs(ADMIN)).toMatchObject({ openId: ADMIN, name: '王芳', role: 'admin' });
    const operator = new ConsoleClient(console1.url);
    expect(await operator.signInAs(OPERATOR)).toMatchObject({ name: '李娜', role: null });
    // Signed in without a role: nothing to see until an admin gives one.
    expect((await operator.json('/api/v1/batches')).status).toBe(403);
    expect((await operator.json('/api/v1/people')).status).toBe(403);

    const people =
      await admin.json<{ openId: string; name: string; role: string | null }[]>('/api/v1/people');
    expect(people.body.map((p) => [p.name, p.role]).sort()).toEqual([
      ['李娜', null],
      ['王芳', 'admin'],
    ]);
    const grant = (client: ConsoleClient, openId: string, role: string | null, csrf = true) =>
      client.json(`/api/v1/people/${openId}/role`, { method: 'PUT', body: JSON.stringify({ role }), csrf });
    // Every write needs the CSRF header.
    expect((await grant(admin, OPERATOR, 'operator', false)).status).toBe(403);
    expect((await grant(admin, OPERATOR, 'operator')).body).toMatchObject({ name: '李娜', role: 'operator' });
    expect((await grant(admin, OPERATOR, 'superuser')).status).toBe(422);
    expect((await grant(admin, 'ou_nobody', 'viewer')).status).toBe(404);
    expect((await grant(admin, ADMIN, null)).status).toBe(409);
    // Taken at once: the operator's next request has the role.
    expect((await operator.json('/api/v1/batches')).status).toBe(200);
    expect((await grant(operator, OPERATOR, 'viewer')).status).toBe(403);

    const viewer = new ConsoleClient(console1.url);
    await viewer.signInAs(VIEWER);
    await grant(admin, VIEWER, 'viewer');
    await enqueueInputs(runtime, 'terminate', 'close-1', [
      { application_id: 'app-1', termination_type: 1 },
      { application_id: 'app-2', termination_type: 1 },
    ]);
    expect((await viewer.json('/api/v1/batches')).body).toMatchObject({
      batches: [{ batchId: 'close-1', operation: 'terminate', state: 'running', rows: 2 }],
    });
    expect((await viewer.json('/api/v1/batches/close-1/pause', { method: 'POST' })).status).toBe(403);
    expect((await viewer.json('/api/v1/batches/close-1')).body).toMatchObject({
      batchId: 'close-1',
      counts: { total: 2, pending: 2 },
    });

    // The operator pauses, resumes and cancels (with a reason); the audit names them each time.
    expect((await operator.json('/api/v1/batches/close-1/pause', { method: 'POST' })).body).toMatchObject({
      state: 'paused',
    });
    expect((await operator.json('/api/v1/batches/close-1/resume', { method: 'POST' })).body).toMatchObject({
      state: 'running',
    });
    const noReason = await operator.json('/api/v1/batches/close-1/cancel', { method: 'POST', body: '{}' });
    expect(noReason).toMatchObject({ status: 422, body: { error: { code: 'REASON_REQUIRED' } } });
    const cancelled = await operator.json('/api/v1/batches/close-1/cancel', {
      method: 'POST',
      body: JSON.stringify({ reason: '<img src=x onerror=alert(1)> wrong list' }),
    });
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancelled: 2 });
    expect((await operator.json('/api/v1/batches/close-1/pause', { method: 'POST' })).status).toBe(409);
    expect((await operator.json('/api/v1/batches/nope/pause', { method: 'POST' })).status).toBe(404);

    const audit = await viewer.json<{
      entries: { actor: { name: string }; action: string; detail: object }[];
    }>('/api/v1/audit?batchId=close-1');
    expect(audit.body.entries.map((e) => [e.actor.name, e.action])).toEqual([
      ['李娜', 'cancel'],
      ['李娜', 'resume'],
      ['李娜', 'pause'],
    ]);
    expect(audit.body.entries[0]!.detail).toMatchObject({
      reason: '<img src=x onerror=alert(1)> wrong list',
    });
    const all = await admin.json<{ entries: { action: string }[] }>('/api/v1/audit');
    expect(all.body.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['signIn', 'grantRole', 'pause', 'resume', 'cancel']),
    );
  });

  it('keeps sessions in Redis: a restarted console (or another replica) knows the browser', async () => {
    const first = await start();
    const operator = new ConsoleClient(first.url);
    await operator.signInAs(ADMIN);
    await first.close();
    consoles = [];
    const second = await start();
    const again = new ConsoleClient(second.url);
    again.sessionCookie = operator.sessionCookie;
    expect((await again.json('/api/v1/me')).body).toMatchObject({ openId: ADMIN, role: 'admin' });
    // The language a person chose goes with them to another browser.
    again.csrfToken = operator.csrfToken;
    expect(
      (await again.fetch('/api/v1/me/language', { method: 'PUT', body: '{"language":"fr"}' })).status,
    ).toBe(422);
    expect(
      (await again.fetch('/api/v1/me/language', { method: 'PUT', body: '{"language":"en"}' })).status,
    ).toBe(204);
    const elsewhere = new ConsoleClient(second.url);
    expect(await elsewhere.signInAs(ADMIN)).toMatchObject({ language: 'en' });
    // Signing out ends it for every replica.
    again.csrfToken = operator.csrfToken;
    expect((await again.fetch('/auth/logout', { method: 'POST' })).status).toBe(204);
    expect((await again.json('/api/v1/me')).status).toBe(401);
  });

  it('explains a refused sign-in, a wrong state and a reused code on a page, never a stack trace', async () => {
    const running = await start();
    const client = new ConsoleClient(running.url);
    const refused = await client.startSignIn();
    const denied = await client.fetch(await client.pick(refused.authorizeUrl, refused.html, 'deny'));
    expect(denied.status).toBe(403);
    const deniedPage = await denied.text();
    expect(deniedPage).toContain('你在飞书页面上拒绝了授权');
    expect(deniedPage).toContain('You declined');

    // A callback this browser did not start (another browser's state).
    const other = new ConsoleClient(running.url);
    const started = await other.startSignIn();
    const back = await other.pick(started.authorizeUrl, started.html, ADMIN);
    const foreign = await client.fetch(back);
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain('不是从本浏览器发起的');
    expect((await client.json('/api/v1/me')).status).toBe(401);

    // The same code twice: the second is refused by Feishu and explained.
    const mine = await client.startSignIn();
    const callback = await client.pick(mine.authorizeUrl, mine.html, ADMIN);
    expect((await client.fetch(callback)).status).toBe(302);
    const replayer = new ConsoleClient(running.url);
    const replayStart = await replayer.startSignIn();
    const replayed = new URL(callback);
    replayed.searchParams.set(
      'state',
      new URL(await replayer.pick(replayStart.authorizeUrl, replayStart.html, ADMIN)).searchParams.get(
        'state',
      )!,
    );
    const reused = await replayer.fetch(replayed.toString());
    expect(reused.status).toBe(403);
    const reusedPage = await reused.text();
    expect(reusedPage).toContain('授权码已失效');
    expect(reusedPage).not.toMatch(/at \w+ \(|Error:/);
  });

  it('sends a strict Content-Security-Policy and an HttpOnly, SameSite=Lax cookie', async () => {
    const running = await start();
    const res = await fetch(`${running.url}/auth/login`, { redirect: 'manual' });
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hq_console='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    // The authorize address carries PKCE and comes back to this console.
    const authorize = new URL(res.headers.get('location')!);
    expect(authorize.pathname).toBe('/open-apis/authen/v1/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${running.url}/auth/callback`);
  });

  it('sends people to Feishu’s or Lark’s own sign-in host, or to the base URL’s', () => {
    expect(authorizeBaseOf(loadConfig({}).baseUrl)).toBe('https://accounts.feishu.cn');
    expect(authorizeBaseOf(loadConfig({ FEISHU_DOMAIN: 'lark' }).baseUrl)).toBe(
      'https://accounts.larksuite.com',
    );
    expect(authorizeBaseOf(loadConfig({ FEISHU_BASE_URL: 'http://127.0.0.1:8787/' }).baseUrl)).toBe(
      'http://127.0.0.1:8787',
    );
  });

  it('refuses to listen beyond loopback without its public address and session secret', () => {
    expect(() => consoleSettingsFrom({ host: '0.0.0.0' }, {})).toThrow(ConfigError);
    expect(() =>
      consoleSettingsFrom({ host: '0.0.0.0' }, { HIRE_CONSOLE_URL: 'https://hire.example.com' }),
    ).toThrow(/HIRE_CONSOLE_SESSION_SECRET/);
    expect(
      consoleSettingsFrom(
        { host: '0.0.0.0' },
        { HIRE_CONSOLE_URL: 'https://hire.example.com/', HIRE_CONSOLE_SESSION_SECRET: 'x'.repeat(32) },
      ).publicUrl,
    ).toBe('https://hire.example.com');
    expect(() => consoleSettingsFrom({}, { HIRE_CONSOLE_CONFIRM_ROWS: 'many' })).toThrow(
      /HIRE_CONSOLE_CONFIRM_ROWS/,
    );
  });
});
