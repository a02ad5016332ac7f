import { createServer } from 'node:http';
import { listenOn } from '../listen';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError } from '../errors/invalid-option-error';
import type { HireQueues } from '../queues/hire-queues';

export interface DashboardOptions {
  queues: HireQueues;
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Basic auth; required to listen beyond this machine. */
  credentials?: { user: string; password: string } | undefined;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Basic auth in front of every route: 401 without the right user and password. */
function basicAuth(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [givenUser, ...rest] = Buffer.from(encoded ?? '', 'base64')
      .toString()
      .split(':');
    if (scheme === 'Basic' && sameText(givenUser ?? '', user) && sameText(rest.join(':'), password))
      return next();
    res
      .set('WWW-Authenticate', 'Basic realm="hire-queue", charset="UTF-8"')
      .status(401)
      .send('authentication required');
  };
}

/**
 * Bull Board over the create, terminate and dead-letter queues, at `/` with its API under `/api`.
 * Each job shows its batch and source line in its data.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  if (!options.credentials && !LOOPBACK.has(host))
    throw new InvalidOptionError(
      'host',
      `${host}: the dashboard listens beyond this machine only with HIRE_DASHBOARD_USER and HIRE_DASHBOARD_PASSWORD set`,
    );
  const board = new ExpressAdapter();
  board.setBasePath('/');
  createBullBoard({
    queues: [options.queues.create, options.queues.terminate, options.queues.deadLetter].map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode: false }),
    ),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'hire-queue' } },
  });
  const app = express();
  if (options.credentials) app.use(basicAuth(options.credentials.user, options.credentials.password));
  app.use('/', board.getRouter() as express.Router);
  const server: Server = createServer(app);
  await listenOn(server, options.port ?? 3000, host, 'the dashboard');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
