import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditLog } from '../lib/access/audit-log';
import { People } from '../lib/access/people';
import { requireCredentials } from '../lib/config';
import { listenOn } from '../lib/listen';
import type { Logger } from '../lib/logger';
import type { HireRuntime } from '../lib/runtime/hire-runtime';
import { createConsoleApp } from './console-app';
import type { ConsoleContext } from './console-context';
import type { ConsoleSettings } from './console-settings';

export interface RunningConsole {
  /** The address people open. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the console on the runtime's Redis and Feishu app; every piece of its state is in Redis. */
export async function startConsole(
  runtime: HireRuntime,
  settings: ConsoleSettings,
  logger: Logger,
): Promise<RunningConsole> {
  const { appId, appSecret } = requireCredentials(runtime.config);
  const server: Server = createServer();
  let publicUrl = settings.publicUrl;
  const onClose: (() => void)[] = [];
  const ctx: ConsoleContext = {
    runtime,
    settings,
    app: { appId, appSecret, baseUrl: runtime.config.baseUrl },
    people: new People(runtime.redis, runtime.keys, settings.admins),
    audit: new AuditLog(runtime.redis, runtime.keys, logger),
    logger,
    publicUrl: () => publicUrl!,
    onClose: (stop) => onClose.push(stop),
  };
  await listenOn(server, settings.port, settings.host, 'the console');
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  publicUrl ??= `http://${host}:${port}`;
  server.on('request', await createConsoleApp(ctx));
  return {
    url: publicUrl,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stop of onClose) stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
