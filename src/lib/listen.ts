import type { Server } from 'node:http';
import { PortUnavailableError } from './errors/port-unavailable-error';

const reasons: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use by another program (pick another port, or stop that program)',
  EACCES: 'not allowed to use this port (ports under 1024 need privileges)',
  EADDRNOTAVAIL: 'this machine has no such address',
};

/**
 * Listens, or fails with one line that names the server, the address and why: every server
 * hire-queue starts (metrics, dashboard, sandbox) goes through here.
 */
export async function listenOn(server: Server, port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const reason = error.code ? reasons[error.code] : undefined;
      reject(reason ? new PortUnavailableError(what, host, port, reason) : error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
