import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFeishuHttp } from '../../src/lib/feishu/feishu-http';
import { generatedIds } from '../../src/sandbox/hire-state';
import { openRedis, testPrefix } from '../helpers/redis';
import { openRuntime } from '../helpers/runtime';
import { openSandbox, type TestSandbox } from '../helpers/sandbox';

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'].flatMap((name) => [
  name,
  name.toUpperCase(),
]);

/** A forward proxy that relays each request to where its absolute URL points, and notes it. */
async function openProxy(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((incoming, outgoing) => {
    seen.push(incoming.url ?? '');
    const relay = request(
      incoming.url ?? '',
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(relay);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('Feishu HTTP client', () => {
  let sandbox: TestSandbox;
  let proxy: Awaited<ReturnType<typeof openProxy>>;
  const saved = new Map<string, string | undefined>();

  beforeEach(async () => {
    sandbox = await openSandbox();
    proxy = await openProxy();
    for (const name of PROXY_VARIABLES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });

  afterEach(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    proxy.server.close();
    await once(proxy.server, 'close');
    await sandbox.close();
  });

  const askForToken = async () => {
    const http = createFeishuHttp(sandbox.url, 5_000);
    try {
      const answer = await http.post('/open-apis/auth/v3/tenant_access_token/internal', {
        app_id: 'cli_unknown',
        app_secret: 'unknown',
      });
      return (answer.data as { code: number }).code;
    } finally {
      http.defaults.httpAgent?.destroy?.();
    }
  };

  it('goes through the proxy named by HTTP_PROXY when the client is made', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const code = await askForToken();
    expect(code).not.toBe(0);
    expect(proxy.seen).toEqual([`${sandbox.url}/open-apis/auth/v3/tenant_access_token/internal`]);
  });

  it('goes straight to Feishu when no proxy variable is set', async () => {
    const code = await askForToken();
    expect(code).not.toBe(0);
    expect(proxy.seen).toEqual([]);
  });

  it('sends the query of a create only when it has a value', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const prefix = testPrefix();
    const runtime = openRuntime(sandbox, prefix);
    const redis = openRedis(prefix);
    const job_id = generatedIds.job(2);
    await runtime.client.createApplication({
      talent_id: generatedIds.talent(30),
      job_id,
      user_id_type: 'open_id',
    });
    await runtime.client.createApplication({ talent_id: generatedIds.talent(31), job_id });
    expect(proxy.seen.filter((url) => url.includes('/hire/v1/applications'))).toEqual([
      `${sandbox.url}/open-apis/hire/v1/applications?user_id_type=open_id`,
      `${sandbox.url}/open-apis/hire/v1/applications`,
    ]);
    await runtime.close();
    await redis.closeAndClean();
  });
});
