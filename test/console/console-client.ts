/**
 * A browser-like client of the console for API tests: it keeps its cookie, follows the sign-in
 * through the sandbox's authorize page as a person would, and sends the CSRF header on writes.
 */
export class ConsoleClient {
  private cookie = '';
  csrfToken = '';

  constructor(readonly url: string) {}

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      if (pair.startsWith('hq_console=')) this.cookie = pair;
    }
  }

  /** The cookie this browser holds (to copy into another, as a stolen or kept cookie would be). */
  get sessionCookie(): string {
    return this.cookie;
  }

  set sessionCookie(value: string) {
    this.cookie = value;
  }

  async fetch(path: string, init: RequestInit & { csrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    if (init.csrf !== false && this.csrfToken && init.method && init.method !== 'GET')
      headers.set('x-csrf-token', this.csrfToken);
    if (init.body !== undefined && typeof init.body === 'string')
      headers.set('content-type', 'application/json');
    const res = await fetch(path.startsWith('http') ? path : `${this.url}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
    this.keep(res);
    return res;
  }

  async json<T = unknown>(
    path: string,
    init: RequestInit & { csrf?: boolean } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.fetch(path, init);
    return { status: res.status, body: (await res.json()) as T };
  }

  /**
   * Starts a sign-in and stops at the sandbox's authorize page: resolves with the page's HTML and
   * its address (to pick a person, or refuse).
   */
  async startSignIn(): Promise<{ authorizeUrl: string; html: string }> {
    const login = await this.fetch('/auth/login');
    if (login.status !== 302) throw new Error(`/auth/login answered ${login.status}`);
    const authorizeUrl = login.headers.get('location')!;
    const html = await (await fetch(authorizeUrl)).text();
    return { authorizeUrl, html };
  }

  /** Picks `openId` on the authorize page; resolves with the console address Feishu sends the browser back to. */
  async pick(authorizeUrl: string, html: string, openId: string | 'deny'): Promise<string> {
    const pattern =
      openId === 'deny' ? /href="([^"]*\/deny\?[^"]*)"/ : new RegExp(`href="([^"]*open_id=${openId})"`);
    const href = pattern.exec(html)?.[1]?.replace(/&amp;/g, '&');
    if (!href) throw new Error(`no link for ${openId} on the authorize page`);
    const back = await fetch(new URL(href, authorizeUrl), { redirect: 'manual' });
    return back.headers.get('location')!;
  }

  /** Signs in as `openId` end to end; resolves with `/api/v1/me`. */
  async signInAs(
    openId: string,
  ): Promise<{ openId: string; name: string; role: string | null; csrfToken: string }> {
    const { authorizeUrl, html } = await this.startSignIn();
    const callback = await this.fetch(await this.pick(authorizeUrl, html, openId));
    if (callback.status !== 302)
      throw new Error(`the callback answered ${callback.status}: ${await callback.text()}`);
    const me = await this.json<{ openId: string; name: string; role: string | null; csrfToken: string }>(
      '/api/v1/me',
    );
    this.csrfToken = me.body.csrfToken;
    return me.body;
  }
}

/**
 * Signs `openId` in and has the admin `adminOpenId` (signed in as well) make them an operator;
 * resolves with both browsers.
 */
export async function signInOperator(
  url: string,
  adminOpenId: string,
  openId: string,
): Promise<{ admin: ConsoleClient; operator: ConsoleClient }> {
  const admin = new ConsoleClient(url);
  await admin.signInAs(adminOpenId);
  const operator = new ConsoleClient(url);
  await operator.signInAs(openId);
  await admin.json(`/api/v1/people/${openId}/role`, {
    method: 'PUT',
    body: JSON.stringify({ role: 'operator' }),
  });
  return { admin, operator };
}
