import { loadConfig, type ConfigSource } from '../../src/lib/config';
import { createRuntime, type HireRuntime } from '../../src/lib/runtime/hire-runtime';
import { SANDBOX_APP } from '../../src/sandbox/sandbox-config';
import type { Sandbox } from '../../src/sandbox/sandbox-server';
import { TEST_REDIS_URL } from './redis';
import { track } from './resources';

/** The environment a process of this test would run with. */
export function testEnv(sandbox: Sandbox, prefix: string, extra: ConfigSource = {}): ConfigSource {
  return {
    FEISHU_BASE_URL: sandbox.url,
    FEISHU_APP_ID: SANDBOX_APP.appId,
    FEISHU_APP_SECRET: SANDBOX_APP.appSecret,
    REDIS_URL: TEST_REDIS_URL,
    HIRE_QUEUE_PREFIX: prefix,
    ...extra,
  };
}

export function openRuntime(sandbox: Sandbox, prefix: string, extra: ConfigSource = {}): HireRuntime {
  const runtime = createRuntime(loadConfig(testEnv(sandbox, prefix, extra)), 'hire-queue-test');
  const close = track('runtime', () => runtime.close());
  return { ...runtime, close };
}
