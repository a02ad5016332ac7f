import { createSignIn } from './sign-in';
import { listenOn } from '../lib/listen';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AdmissionWindow } from './admission-window';
import {
  createApplication,
  describeApplication,
  getApplication,
  listApplications,
  listTerminationReasons,
  paramError,
  terminateApplication,
  type Answer,
} from './hire-rules';
import { HireState } from './hire-state';
import { seededRandom } from './random';
import {
  resolveSandboxConfig,
  sandboxEndpoints,
  type EndpointFaults,
  type SandboxConfig,
  type SandboxEndpoint,
  type SandboxOverrides,
} from './sandbox-config';
import type { Fixture } from './sandbox-config';
import { EndpointCounters, type InjectedFault, type SandboxStatsByEndpoint } from './sandbox-stats';
import { TokenIssuer } from './token-issuer';

export interface SandboxStats {
  endpoints: SandboxStatsByEndpoint;
  tokensIssued: number;
  applications: { total: number; active: number };
}

export interface AnswerEvent {
  endpoint: SandboxEndpoint;
  status: number;
  code: number;
}

/** A message a group custom bot took, as the people in the group would read it. */
export interface BotMessage {
  hook: string;
  /** The body as posted, less `timestamp` and `sign`. */
  message: Record<string, unknown>;
  /** The bot answered: 0, 19021 (bad signature or timestamp), 19001 (unknown hook). */
  code: number;
}

/** A call as it arrived (after any injected latency), before it is judged. */
export interface ArrivalEvent {
  endpoint: SandboxEndpoint;
  /** From the path, for calls on one application. */
  applicationId?: string;
  /** The parsed JSON body of a POST, when it parsed. */
  body?: unknown;
  /** `performance.now()` of the sandbox at arrival. */
  arrivedMs: number;
}

export interface StartSandboxOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** A full config (from a file) or overrides of the defaults. */
  config?: SandboxConfig | SandboxOverrides;
}

export interface Sandbox {
  url: string;
  port: number;
  config: SandboxConfig;
  state: HireState;
  tokens: TokenIssuer;
  stats(): SandboxStats;
  /** Calls `listener` after every answered call; returns a function that stops it. */
  onAnswer(listener: (event: AnswerEvent) => void): () => void;
  /** Every post to a group bot, taken (code 0) or refused. */
  botMessages(): BotMessage[];
  onBotMessage(listener: (message: BotMessage) => void): () => void;
  /** Calls `listener` as each call arrives, with what identifies it; returns a function that stops it. */
  onArrival(listener: (event: ArrivalEvent) => void): () => void;
  /**
   * Moves an application as a recruiter's action in the UI would (a stage change, a note): its
   * `modify_time` becomes `atMs` (now by default). `active: false` also closes it.
   */
  touchApplication(applicationId: string, options?: { atMs?: number; active?: boolean }): void;
  /** The tenant's state as a fixture, to start another sandbox where this one left off. */
  snapshot(): Fixture;
  /** Changes an endpoint's faults while running (tests switch them on and off). */
  setFaults(endpoint: SandboxEndpoint, faults: Partial<EndpointFaults>): void;
  close(): Promise<void>;
}

interface Route {
  endpoint: SandboxEndpoint;
  applicationId?: string;
}

const API = '/open-apis';

function route(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === `${API}/auth/v3/tenant_access_token/internal`)
    return { endpoint: 'token' };
  if (method === 'POST' && path === `${API}/hire/v1/applications`) return { endpoint: 'create' };
  if (method === 'GET' && path === `${API}/hire/v1/applications`) return { endpoint: 'listApplications' };
  if (method === 'GET' && path === `${API}/hire/v1/termination_reasons`)
    return { endpoint: 'listTerminationReasons' };
  const terminate = /^\/open-apis\/hire\/v1\/applications\/([^/]+)\/terminate$/.exec(path);
  if (method === 'POST' && terminate)
    return { endpoint: 'terminate', applicationId: decodeURIComponent(terminate[1]!) };
  const get = /^\/open-apis\/hire\/v1\/applications\/([^/]+)$/.exec(path);
  if (method === 'GET' && get)
    return { endpoint: 'getApplication', applicationId: decodeURIComponent(get[1]!) };
  return undefined;
}

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the Feishu Hire stand-in; `close()` ends it and every connection. */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  // A full config passes through unchanged; overrides get the defaults under them.
  const config: SandboxConfig = resolveSandboxConfig(options.config);
  const faults: Record<SandboxEndpoint, EndpointFaults> = { ...config.faults };
  const random = seededRandom(config.rngSeed);
  const now = () => Date.now() + config.clockSkewMs;
  const state = config.fixture
    ? HireState.fromFixture(config.fixture)
    : HireState.generate(config.generate, random, now());
  const tokens = new TokenIssuer(
    config.apps,
    config.tokenTtlSeconds * 1000,
    config.tokenReissueWithinSeconds * 1000,
  );
  const counters = Object.fromEntries(
    sandboxEndpoints.map((e) => [e, new EndpointCounters(e, config.limits[e])]),
  ) as Record<SandboxEndpoint, EndpointCounters>;
  const windows = new Map<string, AdmissionWindow[]>();
  const timers = new Set<NodeJS.Timeout>();
  let logSeq = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const listeners = new Set<(event: AnswerEvent) => void>();
  const arrivalListeners = new Set<(event: ArrivalEvent) => void>();
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    const logId = `${new Date(now()).toISOString().replace(/\D/g, '').slice(0, 14)}${(++logSeq).toString(16).padStart(8, '0')}`;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Tt-Logid': logId,
      Date: new Date(now()).toUTCString(),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const answer = (
    res: ServerResponse,
    counter: EndpointCounters,
    a: Answer,
    headers?: Record<string, string>,
  ) => {
    counter.answered(a.status, a.code);
    for (const listener of listeners)
      listener({ endpoint: counter.endpoint, status: a.status, code: a.code });
    send(res, a.status, { code: a.code, msg: a.msg, data: a.data }, headers);
  };

  const rateLimit = (endpoint: SandboxEndpoint, appId: string, arrivedMs: number) => {
    const caps = config.limits[endpoint];
    if (caps.length === 0) return undefined;
    const key = `${endpoint}\u0000${appId}`;
    let appWindows = windows.get(key);
    if (!appWindows) {
      appWindows = caps.map((cap) => new AdmissionWindow(cap));
      windows.set(key, appWindows);
    }
    const waits = appWindows.map((w) => w.waitMs(arrivedMs));
    const blocking = waits.findIndex((w) => w > 0);
    if (blocking >= 0) {
      const wait = Math.max(...waits);
      return {
        limit: String(caps[blocking]!.limit),
        reset: String(Math.max(1, Math.ceil(wait / 1000))),
      };
    }
    for (const w of appWindows) w.admit(arrivedMs);
    return undefined;
  };

  const touchApplication = (applicationId: string, options: { atMs?: number; active?: boolean } = {}) => {
    const application = state.applications.get(applicationId);
    if (!application) throw new Error(`no application ${applicationId}`);
    application.modify_time = options.atMs ?? now();
    if (options.active === false) application.active_status = 2;
  };

  const botMessages: BotMessage[] = [];
  const botListeners = new Set<(message: BotMessage) => void>();
  /** Group custom bots (no token, no limits): the signature rule of the platform notes. */
  const handleBot = (res: ServerResponse, hook: string, body: string) => {
    const bot = config.bots?.find((b) => b.hook === hook);
    let posted: Record<string, unknown> = {};
    try {
      posted = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return send(res, 200, { code: 9499, msg: 'Bad Request', data: {} });
    }
    const { timestamp, sign, ...message } = posted;
    let code = 0;
    let msg = 'success';
    if (!bot) [code, msg] = [19001, 'param invalid: incoming webhook access token invalid'];
    else if (bot.secret) {
      const seconds = Number(timestamp);
      const expected = createHmac('sha256', `${String(timestamp)}\n${bot.secret}`)
        .update('')
        .digest('base64');
      if (!Number.isFinite(seconds) || Math.abs(now() / 1000 - seconds) > 3600 || sign !== expected)
        [code, msg] = [19021, 'sign match fail or timestamp is not within one hour from current time'];
    }
    const record: BotMessage = { hook, message, code };
    botMessages.push(record);
    for (const listener of botListeners) listener(record);
    return send(res, 200, { code, msg, data: {} });
  };

  const handleSandboxRoute = (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    if (req.method === 'GET' && path === '/__sandbox/stats') return send(res, 200, stats());
    if (req.method === 'GET' && path === '/__sandbox/state') {
      return send(res, 200, {
        applications: [...state.applications.values()].map((a) => describeApplication(state, a)),
      });
    }
    if (req.method === 'POST' && path === '/__sandbox/faults') {
      const update = JSON.parse(body || '{}') as Partial<Record<SandboxEndpoint, Partial<EndpointFaults>>>;
      for (const [endpoint, f] of Object.entries(update)) {
        if ((sandboxEndpoints as readonly string[]).includes(endpoint))
          setFaults(endpoint as SandboxEndpoint, f);
      }
      return send(res, 200, { faults });
    }
    if (req.method === 'POST' && path === '/__sandbox/touch') {
      const { application_id, active } = JSON.parse(body || '{}') as {
        application_id?: string;
        active?: boolean;
      };
      if (!application_id || !state.applications.has(application_id))
        return send(res, 404, { code: 404, msg: `no application ${String(application_id)}`, data: {} });
      touchApplication(application_id, active === undefined ? {} : { active });
      return send(res, 200, { touched: application_id });
    }
    if (req.method === 'POST' && path === '/__sandbox/expire-tokens') {
      tokens.expireAll();
      return send(res, 200, { expired: true });
    }
    return send(res, 404, { code: 404, msg: `no route ${req.method} ${path}`, data: {} });
  };

  const signIn = createSignIn({ apps: config.apps, people: config.people, now });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const body = await readBody(req);
    if (url.pathname.startsWith('/__sandbox/')) return handleSandboxRoute(req, res, url.pathname, body);
    if (signIn.handle(req, res, url, body)) return;
    const hook = /^\/open-apis\/bot\/v2\/hook\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && hook !== undefined) return handleBot(res, decodeURIComponent(hook), body);
    const matched = route(req.method ?? 'GET', url.pathname);
    if (!matched)
      return send(res, 404, { code: 404, msg: `no route ${req.method} ${url.pathname}`, data: {} });
    const { endpoint } = matched;
    const f = faults[endpoint];
    const counter = counters[endpoint];
    const draw = (fault: InjectedFault) => {
      if (f.firstCalls > 0 && counter.stats.calls > f.firstCalls) return false;
      if (f[fault] > 0 && random() < f[fault]) {
        counter.injected(fault);
        return true;
      }
      return false;
    };

    // Inbound network latency: the call "arrives" (and is counted) only after it.
    const held = f.tail > 0 && random() < f.tail;
    if (held) counter.injected('tail');
    const tail = held ? f.tailMinMs + random() * (f.tailMaxMs - f.tailMinMs) : 0;
    const latency = f.latencyMs + (f.jitterMs > 0 ? random() * f.jitterMs : 0) + tail;
    if (latency > 0) await sleep(latency);
    const arrivedMs = performance.now();
    counter.arrived(arrivedMs);

    let json: unknown = undefined;
    let parsed = true;
    if (req.method === 'POST') {
      try {
        json = JSON.parse(body);
      } catch {
        parsed = false;
      }
    }
    if (endpoint !== 'token') {
      const event: ArrivalEvent = {
        endpoint,
        arrivedMs,
        ...(matched.applicationId !== undefined ? { applicationId: matched.applicationId } : {}),
        ...(json !== undefined ? { body: json } : {}),
      };
      for (const listener of arrivalListeners) listener(event);
    }
    if (!parsed) return answer(res, counter, paramError('request body is not valid JSON'));

    if (endpoint === 'token') {
      const obj = (json ?? {}) as { app_id?: unknown; app_secret?: unknown };
      const issued = tokens.issue(obj.app_id, obj.app_secret, now());
      if ('ok' in issued) {
        const failed = issued as { ok: false; code: number; msg: string };
        return answer(res, counter, { status: 400, code: failed.code, msg: failed.msg, data: {} });
      }
      counter.answered(200, 0);
      for (const listener of listeners) listener({ endpoint, status: 200, code: 0 });
      return send(res, 200, {
        code: 0,
        msg: 'ok',
        tenant_access_token: issued.token,
        expire: issued.expireSeconds,
      });
    }

    const auth = tokens.check(req.headers.authorization, now());
    if (!auth.ok) return answer(res, counter, { status: 400, code: auth.code, msg: auth.msg, data: {} });

    if (config.apps.find((app) => app.appId === auth.appId)?.hireScope === false) {
      return answer(res, counter, {
        status: 400,
        code: 99991672,
        msg: 'Access denied. One of the following scopes is required: [hire:application]',
        data: {},
      });
    }

    const limited = rateLimit(endpoint, auth.appId, arrivedMs);
    if (limited) {
      return answer(
        res,
        counter,
        { status: 429, code: 99991400, msg: 'request trigger frequency limit', data: {} },
        { 'x-ogw-ratelimit-limit': limited.limit, 'x-ogw-ratelimit-reset': limited.reset },
      );
    }

    if (draw('dropBeforeEffect')) return req.socket.destroy();
    if (draw('errorBeforeEffect'))
      return answer(res, counter, { status: 500, code: 1002001, msg: 'system error', data: {} });

    let result: Answer;
    switch (endpoint) {
      case 'create':
        result = createApplication(state, json, url.searchParams, now(), config.maxApplicationsPerTalent);
        break;
      case 'terminate':
        result = terminateApplication(state, matched.applicationId!, json, now());
        break;
      case 'listApplications':
        result = listApplications(state, url.searchParams);
        break;
      case 'getApplication':
        result = getApplication(state, matched.applicationId!);
        break;
      case 'listTerminationReasons':
        result = listTerminationReasons(state, url.searchParams);
        break;
    }

    if (result.applied) {
      if (draw('dropAfterEffect')) return req.socket.destroy();
      if (draw('errorAfterEffect')) {
        return answer(res, counter, { status: 500, code: 1002001, msg: 'system error', data: {} });
      }
      if (draw('slowAnswer')) await sleep(f.slowAnswerDelayMs);
    }
    return answer(res, counter, result);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { code: 1002001, msg: `sandbox error: ${(error as Error).message}`, data: {} });
    });
  });
  server.keepAliveTimeout = 30_000;

  await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1', 'the sandbox');
  const { port } = server.address() as AddressInfo;

  function stats(): SandboxStats {
    const applications = [...state.applications.values()];
    return {
      endpoints: Object.fromEntries(
        sandboxEndpoints.map((e) => [e, structuredClone(counters[e].stats)]),
      ) as SandboxStatsByEndpoint,
      tokensIssued: tokens.issuedCount,
      applications: {
        total: applications.length,
        active: applications.filter((a) => a.active_status === 1).length,
      },
    };
  }

  function setFaults(endpoint: SandboxEndpoint, update: Partial<EndpointFaults>) {
    faults[endpoint] = { ...faults[endpoint], ...update };
  }

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    config,
    state,
    tokens,
    stats,
    setFaults,
    touchApplication,
    snapshot: () => state.toFixture(),
    botMessages: () => [...botMessages],
    onBotMessage: (listener) => {
      botListeners.add(listener);
      return () => botListeners.delete(listener);
    },
    onArrival: (listener) => {
      arrivalListeners.add(listener);
      return () => arrivalListeners.delete(listener);
    },
    onAnswer: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
