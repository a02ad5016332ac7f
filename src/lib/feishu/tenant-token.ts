import type { AxiosInstance } from 'axios';
import { defineScript } from '../redis/lua-script';
import type { RedisClient } from '../redis/redis-connection';
import { classifyOutcome } from './classify-outcome';
import { FeishuApiError } from './feishu-api-error';
import { FleetFatalError } from '../errors/fleet-fatal-error';
import { NetworkError } from './network-error';
import { toFeishuError } from './feishu-http';
import type { RedisKeys } from '../redis/redis-keys';

export interface TenantTokenOptions {
  http: AxiosInstance;
  redis: RedisClient;
  keys: RedisKeys;
  appId: string;
  appSecret: string;
  /** Refetch when less than this remains; the platform issues a new token under 30 min. @default 600_000 */
  refreshAheadMs?: number;
  /** How long one process may hold the fetch lock. @default 10_000 */
  lockTtlMs?: number;
  /** How often a process that lost the lock looks for the winner's token. @default 25 */
  lockPollMs?: number;
  /** Called for every token fetched from Feishu (metrics). */
  onFetch?: () => void;
}

interface StoredToken {
  token: string;
  expiresAtMs: number;
}

export const deleteTokenIfEqualScript = defineScript({
  name: 'delete-token-if-equal',
  keys: ['token'],
  args: ['token'],
});
export const releaseLockScript = defineScript({ name: 'release-lock', keys: ['lock'], args: ['owner'] });

/**
 * One tenant_access_token for the whole fleet, kept in Redis. A missing or ageing token is
 * fetched once however many processes ask (a Redis lock, plus one promise per process).
 * The app secret stays in this object: never in Redis, an error, or a log line.
 */
export class TenantToken {
  readonly #appSecret: string;
  #local: StoredToken | undefined;
  #inFlight: Promise<string> | undefined;
  private readonly refreshAheadMs: number;
  private readonly lockTtlMs: number;
  private readonly lockPollMs: number;
  /** Token endpoint calls this process made; tests read it. */
  fetches = 0;

  constructor(private readonly options: TenantTokenOptions) {
    this.#appSecret = options.appSecret;
    this.refreshAheadMs = options.refreshAheadMs ?? 600_000;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.lockPollMs = options.lockPollMs ?? 25;
  }

  /** A token good for at least a while longer. */
  async get(): Promise<string> {
    if (this.#local && this.#local.expiresAtMs - Date.now() > this.refreshAheadMs) return this.#local.token;
    this.#inFlight ??= this.obtain().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /**
   * Proves this process's own id and secret: a token fetched with them, whatever the fleet has
   * cached (a process with a wrong secret would otherwise run on the others' token until it
   * expires). Throws FleetFatalError when Feishu refuses them; the token fetched serves the fleet.
   */
  async verify(): Promise<void> {
    const fresh = await this.fetchFromFeishu();
    const { redis, keys, appId } = this.options;
    await redis.set(
      keys.token(appId),
      JSON.stringify(fresh),
      'PX',
      Math.max(1, fresh.expiresAtMs - Date.now()),
    );
    this.keep(fresh);
  }

  /** Drops `token` for the whole fleet, unless another process already replaced it. */
  async invalidate(token: string): Promise<void> {
    if (this.#local?.token === token) this.#local = undefined;
    await deleteTokenIfEqualScript.run(
      this.options.redis,
      { token: this.options.keys.token(this.options.appId) },
      { token },
    );
  }

  private async obtain(): Promise<string> {
    const { redis, keys, appId } = this.options;
    const tokenKey = keys.token(appId);
    const lockKey = keys.tokenLock(appId);
    const deadline = Date.now() + this.lockTtlMs * 3;
    for (;;) {
      const stored = parseStored(await redis.get(tokenKey));
      if (stored && stored.expiresAtMs - Date.now() > this.refreshAheadMs) return this.keep(stored);
      const lockValue = `${process.pid}:${Math.random()}`;
      if ((await redis.set(lockKey, lockValue, 'PX', this.lockTtlMs, 'NX')) === 'OK') {
        try {
          // Another process may have stored a fresh token between our read and our lock.
          const again = parseStored(await redis.get(tokenKey));
          if (again && again.expiresAtMs - Date.now() > this.refreshAheadMs) return this.keep(again);
          const fresh = await this.fetchFromFeishu();
          await redis.set(tokenKey, JSON.stringify(fresh), 'PX', Math.max(1, fresh.expiresAtMs - Date.now()));
          return this.keep(fresh);
        } finally {
          await releaseLockScript.run(redis, { lock: lockKey }, { owner: lockValue });
        }
      }
      // Someone else is fetching. A still-valid token serves meanwhile; otherwise wait for theirs.
      if (stored && stored.expiresAtMs > Date.now() + 1000) return this.keep(stored);
      if (Date.now() > deadline) {
        throw new NetworkError(
          'tenant_access_token',
          'TIMEOUT',
          'timed out waiting for another process to fetch the token',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.lockPollMs));
    }
  }

  private keep(stored: StoredToken): string {
    this.#local = stored;
    return stored.token;
  }

  private async fetchFromFeishu(): Promise<StoredToken> {
    const endpoint = 'tenant_access_token';
    this.fetches++;
    this.options.onFetch?.();
    let response;
    try {
      response = await this.options.http.post(
        '/open-apis/auth/v3/tenant_access_token/internal',
        { app_id: this.options.appId, app_secret: this.#appSecret },
        { validateStatus: () => true },
      );
    } catch (error) {
      throw toFeishuError(endpoint, error);
    }
    const body = response.data as {
      code?: unknown;
      msg?: unknown;
      tenant_access_token?: unknown;
      expire?: unknown;
    };
    if (body?.code === 0 && typeof body.tenant_access_token === 'string' && typeof body.expire === 'number') {
      return { token: body.tenant_access_token, expiresAtMs: Date.now() + body.expire * 1000 };
    }
    const error = toFeishuError(endpoint, response);
    const classification = classifyOutcome('token', error);
    if (classification.kind === 'fatal' || (error instanceof FeishuApiError && error.httpStatus < 500)) {
      throw new FleetFatalError(
        classification.fix ?? 'check FEISHU_APP_ID and FEISHU_APP_SECRET',
        error instanceof FeishuApiError ? error.feishuCode : undefined,
        `Feishu refused this process's app credentials: ${error instanceof FeishuApiError ? error.feishuMsg : error.message}`,
        classification.scope ?? 'process',
      );
    }
    throw error;
  }
}

function parseStored(raw: string | null): StoredToken | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredToken>;
    if (typeof parsed.token === 'string' && typeof parsed.expiresAtMs === 'number') {
      return { token: parsed.token, expiresAtMs: parsed.expiresAtMs };
    }
  } catch {
    // A damaged entry is treated as missing and overwritten.
  }
  return undefined;
}
