import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Someone of the sandbox's tenant who can sign in to a web app (the console). */
export interface SandboxPerson {
  open_id: string;
  name: string;
  en_name: string;
}

/** The people of the sandbox's tenant when its config names none: enough for the console's roles. */
export const defaultPeople: readonly SandboxPerson[] = [
  { open_id: 'ou_sandbox_admin', name: '王芳', en_name: 'Wang Fang' },
  { open_id: 'ou_sandbox_operator', name: '李娜', en_name: 'Li Na' },
  { open_id: 'ou_sandbox_second_operator', name: '陈静', en_name: 'Chen Jing' },
  { open_id: 'ou_sandbox_viewer', name: '张伟', en_name: 'Zhang Wei' },
  { open_id: 'ou_sandbox_newcomer', name: '刘洋', en_name: 'Liu Yang' },
];

export interface SignInOptions {
  apps: readonly { appId: string; appSecret: string }[];
  people: readonly SandboxPerson[];
  now: () => number;
  /** A code is valid this long, and once (the platform's 5 minutes). @default 300000 */
  codeLifetimeMs?: number;
  /** A user access token lives this long. @default 7200 */
  tokenLifetimeS?: number;
}

interface IssuedCode {
  appId: string;
  redirectUri: string;
  openId: string;
  challenge?: { value: string; method: 'S256' | 'plain' };
  issuedAtMs: number;
  used: boolean;
}

const AUTHORIZE = '/open-apis/authen/v1/authorize';

/** `<`, `>`, `&`, `"` and `'` as entities: every value put in the sign-in page. */
const escapeHtml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * The web sign-in of `../shared/docs/feishu-login.md`, as the platform answers it: the authorize
 * page (here a list of the tenant's people to sign in as, or refuse), the code exchange
 * (`POST /open-apis/authen/v2/oauth/token`, flat answers, HTTP 400 with `error` on failure, PKCE),
 * and `GET /open-apis/authen/v1/user_info`. Codes last 5 minutes and work once.
 */
export function createSignIn(options: SignInOptions) {
  const codeLifetimeMs = options.codeLifetimeMs ?? 300_000;
  const tokenLifetimeS = options.tokenLifetimeS ?? 7200;
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { openId: string; expiresAtMs: number }>();

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const page = (res: ServerResponse, status: number, title: string, body: string) => {
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    res.end(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;line-height:1.6}a.person{display:block;padding:.6rem 1rem;margin:.4rem 0;border:1px solid #ccd;border-radius:6px;text-decoration:none;color:#123}</style>' +
        `</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
  };
  const withParams = (base: string, params: Record<string, string | undefined>) => {
    const url = new URL(base);
    for (const [key, value] of Object.entries(params))
      if (value !== undefined) url.searchParams.set(key, value);
    return url.toString();
  };
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(302, { Location: location });
    res.end();
  };
  const oauthError = (res: ServerResponse, code: number, error: string, description: string) =>
    json(res, code === 20050 ? 500 : 400, { code, error, error_description: description });

  /** The authorize request as the page carries it on: what the app asked for. */
  const authorizeRequest = (url: URL) => {
    const q = url.searchParams;
    return {
      client_id: q.get('client_id') ?? '',
      response_type: q.get('response_type') ?? '',
      redirect_uri: q.get('redirect_uri') ?? '',
      state: q.get('state') ?? undefined,
      code_challenge: q.get('code_challenge') ?? undefined,
      code_challenge_method: q.get('code_challenge_method') ?? undefined,
    };
  };
  /** Why the authorize request cannot be served, for a page that says so. */
  const refusal = (request: ReturnType<typeof authorizeRequest>): string | undefined => {
    if (!options.apps.some((app) => app.appId === request.client_id))
      return `unknown client_id "${request.client_id}"`;
    if (request.response_type !== 'code') return 'response_type must be code';
    try {
      new URL(request.redirect_uri);
    } catch {
      return 'redirect_uri must be an absolute URL';
    }
    if (request.code_challenge_method && !['S256', 'plain'].includes(request.code_challenge_method))
      return 'code_challenge_method must be S256 or plain';
    return undefined;
  };

  const authorizePage = (res: ServerResponse, url: URL) => {
    const request = authorizeRequest(url);
    const refused = refusal(request);
    if (refused) return page(res, 400, '无法登录 · Cannot sign in', `<p>${escapeHtml(refused)}</p>`);
    const query = url.searchParams.toString();
    const people = options.people
      .map(
        (person) =>
          `<a class="person" href="${AUTHORIZE}/grant?${escapeHtml(query)}&amp;open_id=${encodeURIComponent(person.open_id)}">` +
          `${escapeHtml(person.name)} · ${escapeHtml(person.en_name)} <small>(${escapeHtml(person.open_id)})</small></a>`,
      )
      .join('');
    page(
      res,
      200,
      '飞书沙箱登录 · Sandbox sign-in',
      `<p>以谁的身份登录 ${escapeHtml(request.client_id)}？ · Sign in to ${escapeHtml(request.client_id)} as:</p>${people}` +
        `<p><a href="${AUTHORIZE}/deny?${escapeHtml(query)}">拒绝 · Refuse</a></p>`,
    );
  };

  const grant = (res: ServerResponse, url: URL) => {
    const request = authorizeRequest(url);
    const refused = refusal(request);
    if (refused) return page(res, 400, '无法登录 · Cannot sign in', `<p>${escapeHtml(refused)}</p>`);
    const person = options.people.find((p) => p.open_id === url.searchParams.get('open_id'));
    if (!person) return page(res, 400, '无法登录 · Cannot sign in', '<p>no such person in the sandbox</p>');
    const code = randomBytes(48).toString('base64url');
    codes.set(code, {
      appId: request.client_id,
      redirectUri: request.redirect_uri,
      openId: person.open_id,
      ...(request.code_challenge
        ? {
            challenge: {
              value: request.code_challenge,
              method: (request.code_challenge_method ?? 'plain') as 'S256' | 'plain',
            },
          }
        : {}),
      issuedAtMs: options.now(),
      used: false,
    });
    redirect(res, withParams(request.redirect_uri, { code, state: request.state }));
  };

  const deny = (res: ServerResponse, url: URL) => {
    const request = authorizeRequest(url);
    const refused = refusal(request);
    if (refused) return page(res, 400, '无法登录 · Cannot sign in', `<p>${escapeHtml(refused)}</p>`);
    redirect(res, withParams(request.redirect_uri, { error: 'access_denied', state: request.state }));
  };

  const exchange = (res: ServerResponse, body: string) => {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return oauthError(res, 20001, 'invalid_request', 'the body is not JSON');
    }
    const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
    const [grantType, clientId, secret, code, redirectUri] = [
      text('grant_type'),
      text('client_id'),
      text('client_secret'),
      text('code'),
      text('redirect_uri'),
    ];
    if (!grantType || !clientId || !secret || !code)
      return oauthError(res, 20001, 'invalid_request', 'a parameter is missing');
    if (grantType !== 'authorization_code')
      return oauthError(res, 20036, 'unsupported_grant_type', 'wrong grant_type');
    const app = options.apps.find((a) => a.appId === clientId);
    if (!app || app.appSecret !== secret)
      return oauthError(res, 20002, 'invalid_client', 'wrong client_secret');
    const issued = codes.get(code);
    if (!issued) return oauthError(res, 20003, 'invalid_grant', 'code not found');
    if (issued.used) return oauthError(res, 20065, 'invalid_grant', 'code already used');
    if (issued.appId !== clientId)
      return oauthError(res, 20024, 'invalid_grant', 'the code belongs to another client_id');
    if (options.now() - issued.issuedAtMs > codeLifetimeMs)
      return oauthError(res, 20004, 'invalid_grant', 'code expired');
    if (redirectUri !== issued.redirectUri)
      return oauthError(res, 20071, 'invalid_grant', 'redirect_uri differs from the one used to authorize');
    if (issued.challenge) {
      const verifier = text('code_verifier') ?? '';
      const derived =
        issued.challenge.method === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (derived !== issued.challenge.value)
        return oauthError(res, 20049, 'invalid_grant', 'PKCE check failed');
    }
    issued.used = true;
    const accessToken = `u-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { openId: issued.openId, expiresAtMs: options.now() + tokenLifetimeS * 1000 });
    json(res, 200, {
      code: 0,
      access_token: accessToken,
      expires_in: tokenLifetimeS,
      token_type: 'Bearer',
      scope: '',
    });
  };

  const userInfo = (req: IncomingMessage, res: ServerResponse) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const held = token ? tokens.get(token) : undefined;
    if (!held) return json(res, 200, { code: 20005, msg: 'invalid user access token', data: {} });
    if (held.expiresAtMs < options.now())
      return json(res, 401, { code: 99991677, msg: 'user access token expired', data: {} });
    const person = options.people.find((p) => p.open_id === held.openId)!;
    json(res, 200, {
      code: 0,
      msg: 'success',
      data: {
        name: person.name,
        en_name: person.en_name,
        open_id: person.open_id,
        union_id: `on_${person.open_id.slice(3)}`,
        tenant_key: 'sandbox-tenant',
        avatar_url: '',
      },
    });
  };

  return {
    /** Serves a request of the sign-in, if it is one; false when it is not. */
    handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean {
      const route = `${req.method} ${url.pathname}`;
      if (route === `GET ${AUTHORIZE}`) authorizePage(res, url);
      else if (route === `GET ${AUTHORIZE}/grant`) grant(res, url);
      else if (route === `GET ${AUTHORIZE}/deny`) deny(res, url);
      else if (route === 'POST /open-apis/authen/v2/oauth/token') exchange(res, body);
      else if (route === 'GET /open-apis/authen/v1/user_info') userInfo(req, res);
      else return false;
      return true;
    },
  };
}
