import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SignInError } from '../errors/sign-in-error';
import { domains } from '../config';
import axios from 'axios';

/** Where people sign in: Feishu's and Lark's own hosts, or the base URL's (the sandbox, a proxy). */
export function authorizeBaseOf(baseUrl: string): string {
  if (baseUrl === domains.feishu) return 'https://accounts.feishu.cn';
  if (baseUrl === domains.lark) return 'https://accounts.larksuite.com';
  return baseUrl.replace(/\/+$/, '');
}

/** A fresh `state` and PKCE pair (S256), for one sign-in. */
export function newSignInChallenge(): { state: string; verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return {
    state: randomBytes(24).toString('base64url'),
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
  };
}

/** The authorize page's address for one sign-in (web-app OAuth, PKCE S256). */
export function authorizeUrlOf(options: {
  baseUrl: string;
  appId: string;
  redirectUri: string;
  state: string;
  challenge: string;
}): string {
  const url = new URL(`${authorizeBaseOf(options.baseUrl)}/open-apis/authen/v1/authorize`);
  url.searchParams.set('client_id', options.appId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('state', options.state);
  url.searchParams.set('code_challenge', options.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** Token-exchange codes that mean "sign in again": the code was used, expired, or not this app's. */
const CODE_AGAIN = new Set([20003, 20004, 20024, 20049, 20065, 20071]);
const NOT_ALLOWED = new Set([20008, 20009, 20010, 20021, 20022, 20023]);

const tokenAnswer = z.object({
  code: z.number(),
  access_token: z.string().optional(),
  error_description: z.string().optional(),
});
const userAnswer = z.object({
  code: z.number(),
  msg: z.string().optional(),
  data: z.object({ open_id: z.string(), name: z.string(), en_name: z.string().optional() }).optional(),
});

export interface SignedInPerson {
  openId: string;
  name: string;
  enName?: string;
}

/**
 * Exchanges the code the authorize page returned for a user token (`POST /open-apis/authen/v2/oauth/token`,
 * flat answer, HTTP 400 on failure) and reads who signed in (`GET /open-apis/authen/v1/user_info`).
 * The token is used once, here, and kept nowhere.
 */
export async function signInWithCode(options: {
  baseUrl: string;
  appId: string;
  appSecret: string;
  code: string;
  redirectUri: string;
  verifier: string;
  timeoutMs?: number;
}): Promise<SignedInPerson> {
  // A client of its own, without kept-alive sockets: sign-ins are rare, and a pooled agent per
  // sign-in would hold its sockets open long after.
  const http = axios.create({
    baseURL: options.baseUrl,
    timeout: options.timeoutMs ?? 10_000,
    validateStatus: () => true,
  });
  const fail = (code: number, what: string) => {
    if (CODE_AGAIN.has(code)) return new SignInError('codeUsedOrExpired', `${what}: ${code}`, code);
    if (NOT_ALLOWED.has(code)) return new SignInError('notAllowed', `${what}: ${code}`, code);
    return new SignInError('misconfigured', `${what}: ${code}`, code);
  };
  let exchanged;
  try {
    exchanged = await http.post('/open-apis/authen/v2/oauth/token', {
      grant_type: 'authorization_code',
      client_id: options.appId,
      client_secret: options.appSecret,
      code: options.code,
      redirect_uri: options.redirectUri,
      code_verifier: options.verifier,
    });
  } catch (error) {
    throw new SignInError('unavailable', `Feishu did not answer the sign-in: ${(error as Error).message}`);
  }
  const token = tokenAnswer.safeParse(exchanged.data);
  if (!token.success || token.data.code !== 0 || !token.data.access_token)
    throw fail(token.success ? token.data.code : -1, 'Feishu refused the sign-in code');
  let info;
  try {
    info = await http.get('/open-apis/authen/v1/user_info', {
      headers: { Authorization: `Bearer ${token.data.access_token}` },
    });
  } catch (error) {
    throw new SignInError('unavailable', `Feishu did not say who signed in: ${(error as Error).message}`);
  }
  const user = userAnswer.safeParse(info.data);
  if (!user.success || user.data.code !== 0 || !user.data.data)
    throw fail(user.success ? user.data.code : -1, 'Feishu did not say who signed in');
  const { open_id, name, en_name } = user.data.data;
  return { openId: open_id, name, ...(en_name ? { enName: en_name } : {}) };
}
