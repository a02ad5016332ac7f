import { i18n } from './i18n';

/** The console's JSON API, as the pages call it: the session cookie rides along, every write carries the CSRF token. */

export type Role = 'admin' | 'operator' | 'viewer';

export interface Me {
  openId: string;
  name: string;
  role: Role | null;
  csrfToken: string;
  confirmRows: number;
  /** Above this many rows a confirmed batch waits for a second person (unset: never). */
  approvalRows?: number;
  /** The language this person chose, wherever they chose it. */
  language?: 'zh-CN' | 'en';
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function useCsrfToken(token: string): void {
  csrfToken = token;
}

/** Signed out (the session ended): back to the sign-in, to come back here afterwards. */
function signInAgain(): never {
  window.location.assign(
    `/auth/login?returnTo=${encodeURIComponent(window.location.pathname + window.location.search)}`,
  );
  throw new ApiError(401, 'SIGNED_OUT', 'signed out', {});
}

export async function api<T>(
  path: string,
  init: { method?: string; json?: unknown; form?: FormData } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.method && init.method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let body: BodyInit | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) body = init.form;
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body } : {}),
  });
  if (res.status === 401) signInAgain();
  const answer = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) {
    const error = answer.error ?? { code: `HTTP_${res.status}`, message: res.statusText };
    // In the page's language first; the server's own words (which name the row, field or file) after.
    const said = i18n.t(`errors.${error.code}`, { defaultValue: '' });
    const message = said ? `${said}（${error.message}）` : error.message;
    throw new ApiError(res.status, error.code, message, error as Record<string, unknown>);
  }
  return answer as T;
}

export async function signOut(): Promise<void> {
  await fetch('/auth/logout', {
    method: 'POST',
    headers: { 'x-csrf-token': csrfToken },
    credentials: 'same-origin',
  });
  window.location.assign('/auth/login');
}
