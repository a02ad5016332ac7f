import { createHash, randomBytes } from 'node:crypto';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import { openSandbox } from '../helpers/sandbox';

const redirectUri = 'http://127.0.0.1:3100/auth/callback';

/** The authorize page's link to sign in as `openId`, followed as a browser would: the redirect's query. */
async function signInAs(base: string, openId: string, extra: Record<string, string> = {}) {
  const query = new URLSearchParams({
    client_id: SANDBOX_APP.appId,
    response_type: 'code',
    redirect_uri: redirectUri,
    state: 'st-1',
    ...extra,
  });
  const pageAnswer = await fetch(`${base}/open-apis/authen/v1/authorize?${query}`);
  expect(pageAnswer.status).toBe(200);
  const html = await pageAnswer.text();
  const href = new RegExp(`href="([^"]*open_id=${openId})"`).exec(html)?.[1]?.replace(/&amp;/g, '&');
  expect(href).toBeDefined();
  const granted = await fetch(`${base}${href!}`, { redirect: 'manual' });
  expect(granted.status).toBe(302);
  return new URL(granted.headers.get('location')!).searchParams;
}

const exchange = (base: string, body: Record<string, string>) =>
  fetch(`${base}/open-apis/authen/v2/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      client_id: SANDBOX_APP.appId,
      client_secret: SANDBOX_APP.appSecret,
      redirect_uri: redirectUri,
      ...body,
    }),
  });

describe('the sandbox’s web sign-in (for the console)', () => {
  it('lists its people, redirects with a one-time code, exchanges it with PKCE, and says who signed in', async () => {
    const sandbox = await openSandbox();
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const page = await (
      await fetch(
        `${sandbox.url}/open-apis/authen/v1/authorize?client_id=${SANDBOX_APP.appId}&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}`,
      )
    ).text();
    expect(page).toContain('李娜');
    expect(page).toContain('Li Na');

    const back = await signInAs(sandbox.url, 'ou_sandbox_operator', {
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(back.get('state')).toBe('st-1');
    const code = back.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{64,}$/);

    const wrongVerifier = await exchange(sandbox.url, { code, code_verifier: 'not-it' });
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ code: 20049 });
    const wrongRedirect = await exchange(sandbox.url, {
      code,
      code_verifier: verifier,
      redirect_uri: 'http://evil.example/cb',
    });
    expect(await wrongRedirect.json()).toMatchObject({ code: 20071 });

    const token = await exchange(sandbox.url, { code, code_verifier: verifier });
    expect(token.status).toBe(200);
    const granted = (await token.json()) as { code: number; access_token: string; expires_in: number };
    expect(granted).toMatchObject({ code: 0, token_type: 'Bearer', expires_in: 7200 });
    const again = await exchange(sandbox.url, { code, code_verifier: verifier });
    expect(await again.json()).toMatchObject({ code: 20065, error: 'invalid_grant' });

    const who = await fetch(`${sandbox.url}/open-apis/authen/v1/user_info`, {
      headers: { authorization: `Bearer ${granted.access_token}` },
    });
    expect(await who.json()).toMatchObject({
      code: 0,
      data: { open_id: 'ou_sandbox_operator', name: '李娜', en_name: 'Li Na' },
    });
    const nobody = await fetch(`${sandbox.url}/open-apis/authen/v1/user_info`, {
      headers: { authorization: 'Bearer u-made-up' },
    });
    expect(await nobody.json()).toMatchObject({ code: 20005 });
    await sandbox.close();
  });

  it('sends a refusal back as access_denied, and refuses an unknown app on a page that says why', async () => {
    const sandbox = await openSandbox();
    const query = `client_id=${SANDBOX_APP.appId}&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}&state=s2`;
    const refused = await fetch(`${sandbox.url}/open-apis/authen/v1/authorize/deny?${query}`, {
      redirect: 'manual',
    });
    expect(refused.status).toBe(302);
    const back = new URL(refused.headers.get('location')!).searchParams;
    expect([back.get('error'), back.get('state')]).toEqual(['access_denied', 's2']);
    const unknown = await fetch(
      `${sandbox.url}/open-apis/authen/v1/authorize?client_id=cli_nobody&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}`,
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown client_id &quot;cli_nobody&quot;');
    const wrongSecret = await fetch(`${sandbox.url}/open-apis/authen/v2/oauth/token`, {
      method: 'POST',
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: SANDBOX_APP.appId,
        client_secret: 'x',
        code: 'c',
      }),
    });
    expect(await wrongSecret.json()).toMatchObject({ code: 20002 });
    await sandbox.close();
  });
});
