import type { AxiosInstance, AxiosResponse } from 'axios';
import type { RedisClient } from '../redis/redis-connection';
import { z } from 'zod';
import { FeishuApiError } from './feishu-api-error';
import { InvalidInputError } from '../errors/invalid-input-error';
import { createFeishuHttp, headerOf, serverDateOf, timedTransport, toFeishuError } from './feishu-http';
import type {
  FleetRateLimiter,
  LimitedEndpoint,
  SendTiming,
  SlotPriority,
} from '../limiter/fleet-rate-limiter';
import { localNowMs } from '../limiter/redis-clock';
import {
  createApplicationInputSchema,
  describeIssues,
  terminateApplicationInputSchema,
  type CreateApplicationInput,
  type TerminateApplicationInput,
} from './hire-schemas';
import type { RedisKeys } from '../redis/redis-keys';
import { TenantToken } from './tenant-token';
import type { HireMetrics } from '../metrics/hire-metrics';
import { performance } from 'node:perf_hooks';

export interface FeishuClientOptions {
  baseUrl: string;
  appId: string;
  appSecret: string;
  redis: RedisClient;
  keys: RedisKeys;
  /** Every call takes a slot from it first; omit only in tests of the client alone. */
  limiter?: FleetRateLimiter;
  /** @default 10_000 */
  timeoutMs?: number;
  /** Where request durations, limiter waits, 429s and token fetches are counted. */
  metrics?: HireMetrics;
}

/** Facts of a successful answer worth keeping. */
export interface CallMeta {
  logId: string | undefined;
  /** Feishu's clock when it answered (the `Date` header), ms since epoch. */
  serverDateMs: number | undefined;
}

const envelope = z.object({ code: z.number(), msg: z.string().optional(), data: z.unknown() });
const createdSchema = z.object({ id: z.string() });
const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item).default([]),
    page_token: z.string().optional(),
    has_more: z.boolean().default(false),
  });

/** One page of a list endpoint. */
export interface Page<T> {
  items: T[];
  pageToken?: string;
  hasMore: boolean;
}

const toPage = <T>(page: { items: T[]; page_token?: string | undefined; has_more: boolean }): Page<T> => ({
  items: page.items,
  hasMore: page.has_more,
  ...(page.page_token ? { pageToken: page.page_token } : {}),
});

/** The one paging loop: items of every page, asking for the next while the last says there is more. */
async function* eachItem<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let pageToken: string | undefined;
  do {
    const page = await fetchPage(pageToken);
    yield* page.items;
    pageToken = page.hasMore ? page.pageToken : undefined;
  } while (pageToken);
}
export const applicationDetailSchema = z.looseObject({
  id: z.string(),
  job_id: z.string(),
  talent_id: z.string(),
  active_status: z.number(),
  create_time: z.union([z.number(), z.string()]).transform(Number),
  modify_time: z.union([z.number(), z.string()]).transform(Number),
  stage: z.looseObject({ id: z.string() }).optional(),
});
export type ApplicationDetail = z.infer<typeof applicationDetailSchema>;
const terminationReasonSchema = z.looseObject({
  id: z.string(),
  name: z.looseObject({ zh_cn: z.string().optional(), en_us: z.string().optional() }).optional(),
  termination_type: z.number().optional(),
  active_status: z.number().optional(),
});
export type TerminationReasonItem = z.infer<typeof terminationReasonSchema>;

export interface ListApplicationsQuery {
  job_id?: string;
  process_id?: string;
  stage_id?: string;
  talent_id?: string;
  /** "1" active, "2" inactive, "3" all. */
  active_status?: '1' | '2' | '3';
  /** Millisecond timestamps, as the API takes them. */
  update_start_time?: string;
  update_end_time?: string;
  page_size?: number;
  page_token?: string;
}

/** How one call may be held back at the last moment. */
export interface CallControl {
  /**
   * Runs after the limiter's slot and the token, right before the request is written; throwing
   * stops the call unsent. Used to admit the call only while its batch runs.
   */
  beforeSend?: () => Promise<void>;
  /** Stops a wait for the limiter's slot (a worker shutting down); the call is not sent. */
  signal?: AbortSignal;
  /** `background`: only the room the fleet's batches leave (a check before a batch). @default 'normal' */
  priority?: SlotPriority;
}

interface Request extends CallControl {
  name: string;
  limited: LimitedEndpoint;
  method: 'GET' | 'POST';
  path: string;
  params?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** Typed calls to the Hire endpoints hire-queue uses; each takes a limiter slot and a fleet token. */
export class FeishuClient {
  private readonly http: AxiosInstance;
  readonly token: TenantToken;

  constructor(private readonly options: FeishuClientOptions) {
    this.http = createFeishuHttp(options.baseUrl, options.timeoutMs ?? 10_000);
    this.token = new TenantToken({
      ...(options.metrics ? { onFetch: () => options.metrics?.tokenFetches.inc() } : {}),
      http: this.http,
      redis: options.redis,
      keys: options.keys,
      appId: options.appId,
      appSecret: options.appSecret,
    });
  }

  /**
   * Whether a call to `endpoint` leaves as soon as it is made, with no slot to wait for (its
   * limits lifted, or no limiter): then a check made just before the call is as good as one at
   * its slot.
   */
  sendsAtOnce(endpoint: LimitedEndpoint): boolean {
    return !this.options.limiter?.capped(endpoint);
  }

  /** 创建投递. Resolves with the new application id. */
  async createApplication(
    input: CreateApplicationInput,
    control: CallControl = {},
  ): Promise<{ applicationId: string } & CallMeta> {
    const parsed = createApplicationInputSchema.safeParse(input);
    if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error), 'create application');
    const { user_id_type, ...body } = parsed.data;
    const { data, meta } = await this.call({
      ...control,
      name: 'create application',
      limited: 'create',
      method: 'POST',
      path: '/open-apis/hire/v1/applications',
      params: { user_id_type },
      body,
    });
    return { applicationId: createdSchema.parse(data).id, ...meta };
  }

  /** 终止投递. */
  async terminateApplication(input: TerminateApplicationInput, control: CallControl = {}): Promise<CallMeta> {
    const parsed = terminateApplicationInputSchema.safeParse(input);
    if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error), 'terminate application');
    const { application_id, ...body } = parsed.data;
    const { meta } = await this.call({
      ...control,
      name: 'terminate application',
      limited: 'terminate',
      method: 'POST',
      path: `/open-apis/hire/v1/applications/${encodeURIComponent(application_id)}/terminate`,
      body,
    });
    return meta;
  }

  /** 获取投递列表: one page of application ids. */
  async listApplications(
    query: ListApplicationsQuery,
    control: CallControl = {},
  ): Promise<Page<string> & CallMeta> {
    const { data, meta } = await this.call({
      ...control,
      name: 'list applications',
      limited: 'read',
      method: 'GET',
      path: '/open-apis/hire/v1/applications',
      params: { ...query },
    });
    return { ...toPage(pageSchema(z.string()).parse(data ?? {})), ...meta };
  }

  /** Every application id matching `query`, page after page (each page under the read limiter). */
  applicationIds(
    query: Omit<ListApplicationsQuery, 'page_token'>,
    control: CallControl = {},
  ): AsyncGenerator<string> {
    return eachItem((pageToken) =>
      this.listApplications(
        {
          page_size: 200,
          ...query,
          ...(pageToken !== undefined ? { page_token: pageToken } : {}),
        },
        control,
      ),
    );
  }

  /** 获取投递信息. */
  async getApplication(
    applicationId: string,
    control: CallControl = {},
  ): Promise<ApplicationDetail & CallMeta> {
    const { data, meta } = await this.call({
      ...control,
      name: 'get application',
      limited: 'read',
      method: 'GET',
      path: `/open-apis/hire/v1/applications/${encodeURIComponent(applicationId)}`,
    });
    return { ...applicationDetailSchema.parse((data as { application?: unknown })?.application), ...meta };
  }

  /** 获取终止投递原因, every page. */
  async listTerminationReasons(control: CallControl = {}): Promise<TerminationReasonItem[]> {
    const all: TerminationReasonItem[] = [];
    const pages = eachItem(async (pageToken) => {
      const { data } = await this.call({
        ...control,
        name: 'list termination reasons',
        limited: 'read',
        method: 'GET',
        path: '/open-apis/hire/v1/termination_reasons',
        params: { page_size: 200, page_token: pageToken },
      });
      return toPage(pageSchema(terminationReasonSchema).parse(data ?? {}));
    });
    for await (const reason of pages) all.push(reason);
    return all;
  }

  /** Frees the keep-alive sockets. */
  close(): void {
    const agents = [this.http.defaults.httpAgent, this.http.defaults.httpsAgent] as {
      destroy?: () => void;
    }[];
    for (const agent of agents) agent?.destroy?.();
  }

  private async call(request: Request, tokenRetried = false): Promise<{ data: unknown; meta: CallMeta }> {
    // Token and body first: a fetch or serialization between the slot and the send would make the send late.
    const token = await this.token.get();
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const { metrics, limiter } = this.options;
    for (let resends = 0; ; resends++) {
      const waitStarted = performance.now();
      const slot = limiter
        ? await limiter.acquire(request.limited, {
            signal: request.signal,
            beforeSend: request.beforeSend,
            priority: request.priority,
          })
        : (await request.beforeSend?.(), undefined);
      request.signal?.throwIfAborted();
      metrics?.limiterWait.observe({ endpoint: request.limited }, (performance.now() - waitStarted) / 1000);
      const timing: SendTiming = { sentAtMs: localNowMs() };
      const sent = performance.now();
      const observe = (code: string) =>
        metrics?.requestDuration.observe({ endpoint: request.name, code }, (performance.now() - sent) / 1000);
      let response: AxiosResponse;
      try {
        response = await this.http.request({
          method: request.method,
          url: request.path,
          ...queryOf(request.params),
          data: body,
          headers: { Authorization: `Bearer ${token}` },
          transport: timedTransport(this.options.baseUrl, timing),
        });
      } catch (error) {
        observe('NETWORK');
        if (slot) await limiter?.sent(slot, timing);
        throw toFeishuError(request.name, error);
      }
      if (slot) await limiter?.sent(slot, timing);
      observe(String((response.data as { code?: unknown } | undefined)?.code ?? `HTTP_${response.status}`));
      const parsed = envelope.safeParse(response.data);
      if (parsed.success && parsed.data.code === 0 && response.status < 400) {
        return {
          data: parsed.data.data,
          meta: { logId: headerOf(response, 'x-tt-logid'), serverDateMs: serverDateOf(response) },
        };
      }
      const error = toFeishuError(request.name, response);
      if (error instanceof FeishuApiError && error.isTokenRejected && !tokenRetried) {
        await this.token.invalidate(token);
        return this.call(request, true);
      }
      if (error instanceof FeishuApiError && error.isRateLimited) {
        metrics?.rateLimited.inc({ endpoint: request.limited });
        // Not processed: the same call goes again at its next slot, without spending an attempt.
        if (slot && (await limiter?.rateLimited(slot, error.rateLimitResetSeconds, resends))) continue;
      }
      throw error;
    }
  }
}

/**
 * The query as axios's `params`, or nothing when no value is set (most creates): axios serializes
 * even an empty query at every request, and skips unset values itself.
 */
function queryOf(params: Request['params']): { params?: Request['params'] } {
  return params && Object.values(params).some((value) => value !== undefined) ? { params } : {};
}
