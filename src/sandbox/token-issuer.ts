import { randomBytes } from 'node:crypto';
import type { SandboxApp } from './sandbox-config';

export type TokenCheck = { ok: true; appId: string } | { ok: false; code: number; msg: string };

interface Issued {
  appId: string;
  expiresAtMs: number;
}

/** tenant_access_token issuing and checking, with the platform's 30-minute reissue rule. */
export class TokenIssuer {
  private readonly tokens = new Map<string, Issued>();
  private readonly current = new Map<string, string>();
  issuedCount = 0;

  constructor(
    private readonly apps: readonly SandboxApp[],
    private readonly ttlMs: number,
    private readonly reissueWithinMs: number,
  ) {}

  issue(
    appId: unknown,
    appSecret: unknown,
    nowMs: number,
  ): { token: string; expireSeconds: number } | TokenCheck {
    const app = this.apps.find((a) => a.appId === appId);
    if (!app) return { ok: false, code: 10003, msg: 'invalid param: app_id not found' };
    if (app.appSecret !== appSecret) return { ok: false, code: 10014, msg: 'app secret invalid' };
    const existing = this.current.get(app.appId);
    const issued = existing === undefined ? undefined : this.tokens.get(existing);
    if (existing !== undefined && issued && issued.expiresAtMs - nowMs > this.reissueWithinMs) {
      return { token: existing, expireSeconds: Math.floor((issued.expiresAtMs - nowMs) / 1000) };
    }
    const token = `t-${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, { appId: app.appId, expiresAtMs: nowMs + this.ttlMs });
    this.current.set(app.appId, token);
    this.issuedCount++;
    return { token, expireSeconds: Math.floor(this.ttlMs / 1000) };
  }

  /** Checks an Authorization header the way the platform answers: 99991661, 99991671 or 99991663. */
  check(authorization: string | undefined, nowMs: number): TokenCheck {
    const match = authorization === undefined ? null : /^Bearer\s+(\S+)$/.exec(authorization.trim());
    if (!match) return { ok: false, code: 99991661, msg: 'Missing access token for authorization' };
    const token = match[1]!;
    if (!token.startsWith('t-') && !token.startsWith('u-')) {
      return { ok: false, code: 99991671, msg: 'token format is invalid: it must start with t- or u-' };
    }
    const issued = this.tokens.get(token);
    if (!issued || issued.expiresAtMs <= nowMs) {
      return { ok: false, code: 99991663, msg: 'Invalid access token for authorization' };
    }
    return { ok: true, appId: issued.appId };
  }

  /** Ends every token early, as an operator revoking them would. */
  expireAll(): void {
    for (const issued of this.tokens.values()) issued.expiresAtMs = 0;
  }
}
