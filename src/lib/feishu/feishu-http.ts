import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import * as http from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import * as https from 'node:https';
import { Agent as HttpsAgent } from 'node:https';
import { localNowMs } from '../limiter/redis-clock';
import type { SendTiming } from '../limiter/fleet-rate-limiter';
import { FeishuApiError } from './feishu-api-error';
import { NetworkError } from './network-error';

/**
 * The TCP keep-alive delay axios sets on a request's socket (its http adapter, every request). The
 * agents set the same when the socket goes back to the pool: with Node's default (1 s) the two
 * took turns, and each change cost system calls, twice per call (6% of a worker's CPU
 * with the limits lifted). Equal, Node skips both.
 */
const AXIOS_SOCKET_KEEPALIVE_MS = 60_000;

/** The variables axios reads a proxy from: `<scheme>_proxy` and `all_proxy`, either case. */
const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy'];

/**
 * `false` when no proxy variable is set, as it is for most: axios otherwise reads them and matches
 * `NO_PROXY` again at every request (2% of a worker's CPU with the limits lifted). When one is set,
 * nothing: axios decides per request, as before.
 */
function proxyOption(): { proxy?: false } {
  const set = PROXY_VARIABLES.some((name) => process.env[name] || process.env[name.toUpperCase()]);
  return set ? {} : { proxy: false };
}

/** Axios with keep-alive and a per-request timeout; every status reaches the caller as an answer. */
export function createFeishuHttp(baseUrl: string, timeoutMs: number): AxiosInstance {
  const pooled = { keepAlive: true, keepAliveMsecs: AXIOS_SOCKET_KEEPALIVE_MS, maxSockets: 64 };
  return axios.create({
    baseURL: baseUrl,
    timeout: timeoutMs,
    ...proxyOption(),
    httpAgent: new HttpAgent(pooled),
    httpsAgent: new HttpsAgent(pooled),
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    validateStatus: () => true,
    // Feishu ids are 19-digit strings; nothing numeric in these APIs exceeds 2^53.
    transitional: { clarifyTimeoutError: true },
  });
}

export function headerOf(response: AxiosResponse, name: string): string | undefined {
  const value: unknown = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Turns a non-success answer, or an axios failure to get one, into our error. Only the facts are
 * copied: axios errors hold the request, headers included, so they are never kept as a cause.
 */
export function toFeishuError(endpoint: string, failure: unknown): FeishuApiError | NetworkError {
  if (failure instanceof AxiosError) {
    if (failure.response) return toFeishuError(endpoint, failure.response);
    const reason =
      failure.code === 'ETIMEDOUT' || failure.code === 'ECONNABORTED'
        ? 'TIMEOUT'
        : (failure.code ?? 'NETWORK');
    const detail = reason === 'TIMEOUT' ? 'no answer before the timeout' : `connection failed (${reason})`;
    return new NetworkError(endpoint, reason, detail);
  }
  if (isAxiosResponse(failure)) {
    const body = failure.data as { code?: unknown; msg?: unknown } | undefined;
    const reset = headerOf(failure, 'x-ogw-ratelimit-reset');
    return new FeishuApiError(endpoint, {
      feishuCode: typeof body?.code === 'number' ? body.code : undefined,
      feishuMsg: typeof body?.msg === 'string' ? body.msg : `HTTP ${failure.status}`,
      httpStatus: failure.status,
      logId: headerOf(failure, 'x-tt-logid'),
      serverDateMs: serverDateOf(failure),
      rateLimitResetSeconds: reset === undefined || Number.isNaN(Number(reset)) ? undefined : Number(reset),
    });
  }
  return new NetworkError(endpoint, 'NETWORK', (failure as Error)?.message ?? String(failure));
}

function isAxiosResponse(value: unknown): value is AxiosResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    'status' in value &&
    'headers' in value &&
    'config' in value
  );
}

/** Feishu's clock from an answer's `Date` header, ms since epoch. */
export function serverDateOf(response: AxiosResponse): number | undefined {
  const date = headerOf(response, 'date');
  const ms = date === undefined ? NaN : Date.parse(date);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Node's own transport for one request, noting when the request is handed to the socket and
 * when the answer's headers arrive: the tightest times the client can see, which the limiter
 * learns its margin from.
 */
export function timedTransport(baseUrl: string, timing: SendTiming) {
  const transport = baseUrl.startsWith('https:') ? https : http;
  return {
    request(options: http.RequestOptions, onResponse: (response: http.IncomingMessage) => void) {
      timing.sentAtMs = localNowMs();
      return transport.request(options, (response) => {
        timing.answeredAtMs = localNowMs();
        onResponse(response);
      });
    },
  };
}
