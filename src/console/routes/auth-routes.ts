import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { SignInError } from '../../lib/errors/sign-in-error';
import { authorizeUrlOf, newSignInChallenge, signInWithCode } from '../../lib/feishu/user-sign-in';
import type { ConsoleContext } from '../console-context';
import { csrfChecked } from '../guards';
import { signInFailedPage, type SignInProblem } from '../server-pages';

/** Only a path of this console: never an address elsewhere (an open redirect). */
function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\\]*$/.test(value) ? value : '/';
}

const failed = (res: Response, status: number, problem: SignInProblem) =>
  res.status(status).type('html').send(signInFailedPage(problem));

/**
 * Sign-in with Feishu (web-app OAuth, PKCE): `/auth/login` sends the browser to the authorize page
 * with a `state` bound to its session; `/auth/callback` checks it, exchanges the code, reads who it
 * is and starts a fresh session; `POST /auth/logout` ends it.
 */
export function authRoutes(ctx: ConsoleContext): Router {
  const router = Router();
  const redirectUri = () => `${ctx.publicUrl()}/auth/callback`;

  router.get('/auth/login', (req: Request, res: Response) => {
    const { state, verifier, challenge } = newSignInChallenge();
    req.session.signIn = { state, verifier, returnTo: safeReturnTo(req.query.returnTo) };
    res.redirect(
      authorizeUrlOf({
        baseUrl: ctx.app.baseUrl,
        appId: ctx.app.appId,
        redirectUri: redirectUri(),
        state,
        challenge,
      }),
    );
  });

  router.get('/auth/callback', async (req: Request, res: Response) => {
    const pending = req.session.signIn;
    const { state, code, error } = req.query;
    // Whatever happens, this sign-in is over: its state works once.
    delete req.session.signIn;
    if (!pending || typeof state !== 'string' || state !== pending.state)
      return failed(res, 400, 'wrongState');
    if (error === 'access_denied') return failed(res, 403, 'refused');
    if (typeof code !== 'string' || code === '') return failed(res, 400, 'wrongState');
    let person;
    try {
      person = await signInWithCode({
        baseUrl: ctx.app.baseUrl,
        appId: ctx.app.appId,
        appSecret: ctx.app.appSecret,
        code,
        redirectUri: redirectUri(),
        verifier: pending.verifier,
      });
    } catch (problem) {
      if (!(problem instanceof SignInError)) throw problem;
      ctx.logger.warn({ reason: problem.reason, feishuCode: problem.feishuCode }, 'console sign-in failed');
      return failed(res, problem.reason === 'unavailable' ? 503 : 403, problem.reason);
    }
    // A new session id at sign-in: one fixed before it (by someone else) is worth nothing after.
    await new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
    req.session.openId = person.openId;
    req.session.name = person.name;
    req.session.csrfToken = randomBytes(32).toString('base64url');
    await ctx.people.signedIn(person.openId, person.name);
    await ctx.audit.record({
      actor: { openId: person.openId, name: person.name },
      action: 'signIn',
      detail: {},
    });
    res.redirect(pending.returnTo);
  });

  router.post('/auth/logout', csrfChecked, async (req: Request, res: Response) => {
    const { openId, name } = req.session;
    if (openId && name) await ctx.audit.record({ actor: { openId, name }, action: 'signOut', detail: {} });
    await new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));
    res.status(204).end();
  });

  return router;
}
