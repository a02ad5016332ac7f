import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import RedisStore from 'connect-redis';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { ConsoleContext } from './console-context';
import { apiRoutes } from './routes/api-routes';
import { authRoutes } from './routes/auth-routes';
import { notFoundPage } from './server-pages';

/** The pages people open directly (a link in a group message, a bookmark): each answers a signed-in browser. */
export const pagePaths = ['/', '/new', '/batches/:id', '/people', '/audit'] as const;

/**
 * The built pages (`npm run build`: Vite writes dist/console-ui): beside the compiled server, or,
 * when the server runs from its sources (the tests), in the build folder.
 */
const UI_DIRS = [
  join(__dirname, '..', '..', 'console-ui'),
  join(__dirname, '..', '..', 'dist', 'console-ui'),
];

/**
 * The console's express app: security headers (a Content-Security-Policy with no inline script),
 * sessions kept in Redis under the prefix (a restart or another replica keeps them), the sign-in,
 * the API, and the pages.
 */
export async function createConsoleApp(ctx: ConsoleContext): Promise<Express> {
  const { settings, runtime } = ctx;
  const app = express();
  const https = ctx.publicUrl().startsWith('https://');
  // Behind a proxy that ends TLS, the cookie is still Secure.
  if (https) app.set('trust proxy', 1);
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
      // The sign-in goes to Feishu's page and back: a referrer would carry the code there.
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use(
    session({
      name: 'hq_console',
      secret: settings.sessionSecret ?? (await sharedSecret(ctx)),
      store: new RedisStore({
        client: runtime.redis,
        prefix: runtime.keys.console.sessionPrefix,
        ttl: Math.ceil(settings.idleTimeoutMs / 1000),
      }),
      resave: false,
      saveUninitialized: false,
      // Every request moves the idle deadline: 12 h without one, the session ends.
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: https, maxAge: settings.idleTimeoutMs },
    }),
  );
  app.use(authRoutes(ctx));
  app.use('/api/v1', apiRoutes(ctx));

  const ui = UI_DIRS.find((dir) => existsSync(join(dir, 'index.html')));
  if (ui) app.use('/assets', express.static(join(ui, 'assets'), { immutable: true, maxAge: '365d' }));
  const page = (req: Request, res: Response) => {
    if (!req.session.openId)
      return res.redirect(`/auth/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
    if (!ui) return res.status(503).type('text').send('the console pages are not built: npm run build');
    res.set('Cache-Control', 'no-store').sendFile(join(ui, 'index.html'));
  };
  for (const path of pagePaths) app.get(path, page);
  app.get('/favicon.ico', (_req: Request, res: Response) => res.status(204).end());
  app.use((_req: Request, res: Response) => res.status(404).type('html').send(notFoundPage()));

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    ctx.logger.error({ err: (error as Error).message }, 'console request failed');
    if (!res.headersSent)
      res.status(500).type('text').send('the console could not answer this request (see its log)');
  });
  return app;
}

/**
 * A console on loopback without `HIRE_CONSOLE_SESSION_SECRET` signs cookies with a random secret
 * kept in Redis under the prefix, so a restart keeps everyone signed in. Never logged nor shown.
 */
async function sharedSecret(ctx: ConsoleContext): Promise<string> {
  const key = ctx.runtime.keys.console.sessionSecret;
  await ctx.runtime.redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  return (await ctx.runtime.redis.get(key))!;
}
