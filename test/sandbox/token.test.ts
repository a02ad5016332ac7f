import { TokenIssuer } from '../../src/sandbox/token-issuer';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import { call, fetchToken, openSandbox } from '../helpers/sandbox';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

describe('sandbox tenant_access_token', () => {
  it('issues a t- token for the configured app and rejects wrong credentials', async () => {
    const sandbox = await openSandbox();
    const good = await call(sandbox, 'POST', TOKEN_PATH, {
      body: { app_id: SANDBOX_APP.appId, app_secret: SANDBOX_APP.appSecret },
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ code: 0, expire: 7200 });
    expect(String(good.body.tenant_access_token)).toMatch(/^t-/);

    const wrongSecret = await call(sandbox, 'POST', TOKEN_PATH, {
      body: { app_id: SANDBOX_APP.appId, app_secret: 'x' },
    });
    expect(wrongSecret.body.code).toBe(10014);
    const unknownApp = await call(sandbox, 'POST', TOKEN_PATH, {
      body: { app_id: 'cli_nope', app_secret: 'x' },
    });
    expect(unknownApp.body.code).toBe(10003);
    expect(JSON.stringify(unknownApp.body)).not.toContain('tenant_access_token');
    await sandbox.close();
  });

  it('answers 99991661, 99991671 and 99991663 for a missing, malformed or unknown token', async () => {
    const sandbox = await openSandbox();
    const path = '/open-apis/hire/v1/termination_reasons';
    expect((await call(sandbox, 'GET', path)).body.code).toBe(99991661);
    expect((await call(sandbox, 'GET', path, { authorization: 'Bearer abc' })).body.code).toBe(99991671);
    expect((await call(sandbox, 'GET', path, { token: 't-unknown' })).body.code).toBe(99991663);
    const token = await fetchToken(sandbox);
    expect((await call(sandbox, 'GET', path, { token })).body.code).toBe(0);
    sandbox.tokens.expireAll();
    expect((await call(sandbox, 'GET', path, { token })).body.code).toBe(99991663);
    await sandbox.close();
  });
});

describe('TokenIssuer lifetime and the 30-minute reissue rule', () => {
  const ttlMs = 7200_000;
  const issuer = () => new TokenIssuer([SANDBOX_APP], ttlMs, 1800_000);
  const issue = (i: TokenIssuer, now: number) => {
    const r = i.issue(SANDBOX_APP.appId, SANDBOX_APP.appSecret, now);
    if ('ok' in r) throw new Error('refused');
    return r;
  };

  it('returns the same token while more than 30 minutes remain, a new one after', () => {
    const i = issuer();
    const first = issue(i, 0);
    const again = issue(i, ttlMs - 1800_000 - 1);
    expect(again.token).toBe(first.token);
    expect(again.expireSeconds).toBe(1800);
    const renewed = issue(i, ttlMs - 1800_000);
    expect(renewed.token).not.toBe(first.token);
    expect(renewed.expireSeconds).toBe(7200);
    // Both stay valid until their own expiry.
    expect(i.check(`Bearer ${first.token}`, ttlMs - 1)).toEqual({ ok: true, appId: SANDBOX_APP.appId });
    expect(i.check(`Bearer ${first.token}`, ttlMs)).toMatchObject({ ok: false, code: 99991663 });
    expect(i.check(`Bearer ${renewed.token}`, ttlMs)).toMatchObject({ ok: true });
  });
});
