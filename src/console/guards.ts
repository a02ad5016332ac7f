import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Role } from '../lib/access/people';
import type { ConsoleContext } from './console-context';

declare module 'express-session' {
  interface SessionData {
    openId: string;
    name: string;
    csrfToken: string;
    /** A sign-in under way: its state and PKCE verifier, bound to this browser, and where to go after. */
    signIn: { state: string; verifier: string; returnTo: string };
  }
}

/** Who is calling, once `signedIn` let the request through. */
export interface Caller {
  openId: string;
  name: string;
  role: Role | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export const apiError = (res: Response, status: number, code: string, message: string, extra: object = {}) =>
  res.status(status).json({ error: { code, message, ...extra } });

/** 401 without a session; the caller's role read now (a role taken back takes effect at once). */
export function signedIn(ctx: ConsoleContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const { openId, name } = req.session;
    if (!openId || !name) return apiError(res, 401, 'SIGNED_OUT', 'sign in first: /auth/login');
    req.caller = { openId, name, role: await ctx.people.role(openId) };
    next();
  };
}

const rank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** 403 unless the caller's role is at least `least`. */
export function needs(least: Role) {
  return (req: Request, res: Response, next: NextFunction) => {
    const role = req.caller?.role ?? null;
    if (role === null || rank[role] < rank[least])
      return apiError(
        res,
        403,
        'FORBIDDEN',
        `this needs the ${least} role; you have ${role ?? 'none'} (ask an admin)`,
      );
    next();
  };
}

/** Every write needs `x-csrf-token` equal to the session's token (`GET /api/v1/me`), else 403. */
export function csrfChecked(req: Request, res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const expected = req.session.csrfToken;
  const given = req.get('x-csrf-token');
  const same =
    expected !== undefined &&
    given !== undefined &&
    Buffer.byteLength(given) === Buffer.byteLength(expected) &&
    timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  if (!same)
    return apiError(
      res,
      403,
      'CSRF',
      'missing or wrong x-csrf-token header (read csrfToken from GET /api/v1/me)',
    );
  next();
}
