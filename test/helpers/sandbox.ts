import { startSandbox, type Sandbox, type StartSandboxOptions } from '../../src/sandbox/sandbox-server';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import { track } from './resources';

export type TestSandbox = Sandbox & { close(): Promise<void> };

/** A sandbox on an ephemeral port that the resource guard watches. */
export async function openSandbox(options: StartSandboxOptions = {}): Promise<TestSandbox> {
  const sandbox = await startSandbox(options);
  const close = track(`sandbox ${sandbox.url}`, () => sandbox.close());
  return { ...sandbox, close };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: { code: number; msg: string; data: Record<string, unknown>; [key: string]: unknown };
}

/** One raw HTTP call, as any client of the platform would make it. */
export async function call(
  sandbox: Sandbox,
  method: 'GET' | 'POST',
  path: string,
  options: {
    body?: unknown;
    rawBody?: string;
    token?: string | null;
    authorization?: string;
    signal?: AbortSignal;
  } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (options.authorization !== undefined) headers.Authorization = options.authorization;
  else if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const init: RequestInit = { method, headers };
  if (options.signal) init.signal = options.signal;
  if (options.rawBody !== undefined) init.body = options.rawBody;
  else if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await fetch(`${sandbox.url}${path}`, init);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as RawAnswer['body'],
  };
}

export async function fetchToken(sandbox: Sandbox, app = SANDBOX_APP): Promise<string> {
  const answer = await call(sandbox, 'POST', '/open-apis/auth/v3/tenant_access_token/internal', {
    body: { app_id: app.appId, app_secret: app.appSecret },
  });
  const token = answer.body.tenant_access_token;
  if (typeof token !== 'string') throw new Error(`no token: ${JSON.stringify(answer.body)}`);
  return token;
}
