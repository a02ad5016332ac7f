import { defaultPeople, type SandboxPerson } from './sign-in';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../lib/errors/config-error';
import { describeIssues } from '../lib/feishu/hire-schemas';
import { parseRateLimits, type RateLimit } from '../lib/limiter/rate-limit-spec';

/** Endpoints the sandbox serves and counts separately. */
export const sandboxEndpoints = [
  'token',
  'create',
  'terminate',
  'listApplications',
  'getApplication',
  'listTerminationReasons',
] as const;
export type SandboxEndpoint = (typeof sandboxEndpoints)[number];

/** Faults of one endpoint. Probabilities are 0..1 and drawn per call from the seeded PRNG. */
export interface EndpointFaults {
  /** Answer 1002001 (HTTP 500) before any effect. @default 0 */
  errorBeforeEffect: number;
  /** Apply the effect, then answer 1002001 (HTTP 500): the ambiguous case. @default 0 */
  errorAfterEffect: number;
  /** Apply the effect, then hold the answer `slowAnswerDelayMs` (past a client's timeout). @default 0 */
  slowAnswer: number;
  /** @default 5000 */
  slowAnswerDelayMs: number;
  /** Destroy the connection before any effect. @default 0 */
  dropBeforeEffect: number;
  /** Apply the effect, then destroy the connection without an answer. @default 0 */
  dropAfterEffect: number;
  /** Inbound network latency added before a call "arrives" (is counted against the limits). @default 0 */
  latencyMs: number;
  /** Uniform extra latency in [0, jitterMs). @default 0 */
  jitterMs: number;
  /**
   * A long tail: this share of arrivals is held a further `tailMinMs` to `tailMaxMs` (uniform)
   * before it is counted, as a network's rare slow packet is. @default 0
   */
  tail: number;
  /** @default 20 */
  tailMinMs: number;
  /** @default 40 */
  tailMaxMs: number;
  /** When above 0, faults (not latency) strike only the first this-many calls of the endpoint. @default 0 */
  firstCalls: number;
}

const probability = z.number().min(0).max(1);
const faultsSchema = z.strictObject({
  errorBeforeEffect: probability.default(0),
  errorAfterEffect: probability.default(0),
  slowAnswer: probability.default(0),
  slowAnswerDelayMs: z.number().int().nonnegative().default(5000),
  dropBeforeEffect: probability.default(0),
  dropAfterEffect: probability.default(0),
  latencyMs: z.number().nonnegative().default(0),
  jitterMs: z.number().nonnegative().default(0),
  tail: probability.default(0),
  tailMinMs: z.number().nonnegative().default(20),
  tailMaxMs: z.number().nonnegative().default(40),
  firstCalls: z.number().int().nonnegative().default(0),
});
export const noFaults: EndpointFaults = faultsSchema.parse({});

/** How to make the sandbox's initial state from a few numbers. */
const generateSchema = z.strictObject({
  talents: z.number().int().nonnegative().default(200),
  jobs: z.number().int().nonnegative().default(3),
  employees: z.number().int().nonnegative().default(20),
  /** Existing applications, spread over talents and jobs, modified up to `maxAgeDays` ago. */
  applications: z.number().int().nonnegative().default(60),
  maxAgeDays: z.number().nonnegative().default(90),
});
export type GenerateSpec = z.infer<typeof generateSchema>;

const stageSchema = z.strictObject({
  id: z.string(),
  zh_name: z.string(),
  en_name: z.string(),
  type: z.number().int(),
});
export const fixtureSchema = z.strictObject({
  talents: z.array(z.strictObject({ id: z.string(), boundUserId: z.string().optional() })).default([]),
  jobs: z
    .array(
      z.strictObject({
        id: z.string(),
        process_id: z.string().optional(),
        stages: z.array(stageSchema).min(1),
      }),
    )
    .default([]),
  resumeSources: z
    .array(
      z.strictObject({
        id: z.string(),
        type: z.enum(['normal', 'employee_transfer', 'intern_conversion']).default('normal'),
      }),
    )
    .default([]),
  employees: z
    .array(z.strictObject({ userId: z.string(), boundTalentId: z.string().optional() }))
    .default([]),
  terminationReasons: z
    .array(
      z.strictObject({
        id: z.string(),
        name: z.strictObject({ zh_cn: z.string(), en_us: z.string() }),
        termination_type: z.union([z.literal(1), z.literal(22), z.literal(27)]),
        active_status: z.union([z.literal(1), z.literal(2)]).default(1),
      }),
    )
    .default([]),
  applications: z
    .array(
      z.strictObject({
        id: z.string(),
        job_id: z.string(),
        talent_id: z.string(),
        stage_id: z.string().optional(),
        active_status: z.union([z.literal(1), z.literal(2)]).default(1),
        create_time: z.number().int(),
        modify_time: z.number().int(),
        // What a snapshot of a running sandbox carries besides (see `Sandbox.snapshot`).
        resume_source_id: z.string().optional(),
        user_id: z.string().optional(),
        delivery_type: z.number().int().optional(),
        application_preferred_city_code_list: z.array(z.string()).optional(),
        termination_type: z.number().int().optional(),
        termination_reason_list: z.array(z.string()).optional(),
        termination_reason_note: z.string().optional(),
      }),
    )
    .default([]),
});
export type Fixture = z.infer<typeof fixtureSchema>;

const limitSpec = z.string().transform((spec, ctx) => {
  try {
    return parseRateLimits(spec, 'limits');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const configFileSchema = z.strictObject({
  apps: z
    .array(
      z.strictObject({
        appId: z.string().min(1),
        appSecret: z.string().min(1),
        hireScope: z.boolean().optional(),
      }),
    )
    .min(1)
    .optional(),
  tokenTtlSeconds: z.number().positive().optional(),
  tokenReissueWithinSeconds: z.number().nonnegative().optional(),
  maxApplicationsPerTalent: z.number().int().positive().optional(),
  rngSeed: z.number().int().optional(),
  clockSkewMs: z.number().int().optional(),
  limits: z.partialRecord(z.enum(sandboxEndpoints), limitSpec).optional(),
  bots: z.array(z.strictObject({ hook: z.string().min(1), secret: z.string().min(1).optional() })).optional(),
  people: z
    .array(
      z.strictObject({ open_id: z.string().min(1), name: z.string().min(1), en_name: z.string().min(1) }),
    )
    .min(1)
    .optional(),
  faults: z.partialRecord(z.enum(sandboxEndpoints), faultsSchema).optional(),
  generate: generateSchema.optional(),
  fixture: z.union([z.string(), fixtureSchema]).optional(),
});

export interface SandboxBot {
  hook: string;
  secret?: string | undefined;
}

export interface SandboxApp {
  appId: string;
  appSecret: string;
  /** False: the app was not granted hire:application, and every Hire call answers 99991672. @default true */
  hireScope?: boolean | undefined;
}

/** Everything the sandbox does; `defaultSandboxConfig` holds each default. */
export interface SandboxConfig {
  /** Credentials it accepts at the token endpoint. */
  apps: SandboxApp[];
  /** Lifetime of an issued tenant_access_token. @default 7200 */
  tokenTtlSeconds: number;
  /** The platform returns the same token while more than this remains, else a new one. @default 1800 */
  tokenReissueWithinSeconds: number;
  /** A talent's application count limit (1002511). @default 20 */
  maxApplicationsPerTalent: number;
  /** Seed of the PRNG behind fault injection and latency jitter. @default 1 */
  rngSeed: number;
  /** Offset of the sandbox's clock (create_time, modify_time, Date header) from the host's. @default 0 */
  clockSkewMs: number;
  /** Caps per endpoint, per app: create 50/s and 1000/min, terminate 20/s, reads 50/s and 1000/min. */
  limits: Record<SandboxEndpoint, RateLimit[]>;
  faults: Record<SandboxEndpoint, EndpointFaults>;
  /** Group custom bots: `POST /open-apis/bot/v2/hook/<hook>`, signature checked when a secret is set. */
  bots?: SandboxBot[];
  /** The tenant's people who can sign in to a web app (the console) on its authorize page. */
  people: SandboxPerson[];
  /** Initial state: a fixture when given, else generated from `generate`. */
  fixture?: Fixture;
  generate: GenerateSpec;
}

export const SANDBOX_APP: SandboxApp = {
  appId: 'cli_sandbox_app',
  appSecret: 'sandbox-secret-not-for-production',
};

const readLimits = parseRateLimits('50/s,1000/min', 'limits');

export const defaultSandboxConfig: SandboxConfig = {
  apps: [SANDBOX_APP],
  tokenTtlSeconds: 7200,
  tokenReissueWithinSeconds: 1800,
  maxApplicationsPerTalent: 20,
  rngSeed: 1,
  clockSkewMs: 0,
  people: [...defaultPeople],
  limits: {
    token: [],
    create: parseRateLimits('50/s,1000/min', 'limits.create'),
    terminate: parseRateLimits('20/s', 'limits.terminate'),
    listApplications: readLimits,
    getApplication: readLimits,
    listTerminationReasons: readLimits,
  },
  faults: {
    token: noFaults,
    create: noFaults,
    terminate: noFaults,
    listApplications: noFaults,
    getApplication: noFaults,
    listTerminationReasons: noFaults,
  },
  generate: generateSchema.parse({}),
};

export type SandboxOverrides = Partial<Omit<SandboxConfig, 'limits' | 'faults'>> & {
  limits?: Partial<Record<SandboxEndpoint, RateLimit[]>>;
  faults?: Partial<Record<SandboxEndpoint, Partial<EndpointFaults>>>;
};

/** Defaults with overrides laid over them, endpoint by endpoint. */
export function resolveSandboxConfig(overrides: SandboxOverrides = {}): SandboxConfig {
  const faults = { ...defaultSandboxConfig.faults };
  for (const endpoint of sandboxEndpoints) {
    faults[endpoint] = { ...noFaults, ...overrides.faults?.[endpoint] };
  }
  return {
    ...defaultSandboxConfig,
    ...overrides,
    // Each sandbox its own copies: changing one app (a test revoking a scope) changes no other sandbox.
    apps: (overrides.apps ?? defaultSandboxConfig.apps).map((app) => ({ ...app })),
    limits: { ...defaultSandboxConfig.limits, ...overrides.limits },
    faults,
  };
}

/** Reads a `--config FILE` (JSON); every mistake is reported with its path in the file. */
export function loadSandboxConfigFile(path: string): SandboxConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`sandbox config ${path}: ${(error as Error).message}`);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`sandbox config ${path}: ${describeIssues(parsed.error).join('; ')}`);
  }
  const { fixture, limits, faults, ...rest } = parsed.data;
  const overrides: SandboxOverrides = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(overrides, { [key]: value });
  }
  if (limits) overrides.limits = limits;
  if (faults) overrides.faults = faults;
  if (fixture !== undefined) overrides.fixture = typeof fixture === 'string' ? loadFixture(fixture) : fixture;
  return resolveSandboxConfig(overrides);
}

export function loadFixture(path: string): Fixture {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`sandbox fixture ${path}: ${(error as Error).message}`);
  }
  const parsed = fixtureSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`sandbox fixture ${path}: ${describeIssues(parsed.error).join('; ')}`);
  }
  return parsed.data;
}
