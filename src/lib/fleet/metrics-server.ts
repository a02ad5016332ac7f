import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HireMetrics } from '../metrics/hire-metrics';
import { listenOn } from '../listen';

export interface Health {
  ok: boolean;
  /** Why not, when not. */
  reason?: string;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` (Prometheus text) and `GET /healthz` (200, or 503 with the reason: what a
 * Kubernetes probe or a load balancer reads).
 */
export async function startMetricsServer(options: {
  metrics: HireMetrics;
  health: () => Promise<Health>;
  /** 0 picks a free port. */
  port: number;
  /** @default '0.0.0.0' (Prometheus scrapes from elsewhere) */
  host?: string;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    const answer = async () => {
      if (req.method === 'GET' && path === '/metrics') {
        const text = await options.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': options.metrics.registry.contentType });
        res.end(text);
        return;
      }
      if (req.method === 'GET' && path === '/healthz') {
        const health = await options.health();
        res.writeHead(health.ok ? 200 : 503, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify(health.ok ? { status: 'ok' } : { status: 'unhealthy', reason: health.reason }),
        );
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found: try /metrics or /healthz\n');
    };
    answer().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`error: ${(error as Error).message}\n`);
    });
  });
  await listenOn(server, options.port, options.host ?? '0.0.0.0', 'metrics (/metrics, /healthz)');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
