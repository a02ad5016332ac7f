/** The Feishu Hire sandbox, as `hire-queue/sandbox`: for tests and demos, never needed in production. */
export { startSandbox, type Sandbox, type StartSandboxOptions, type SandboxStats } from './sandbox-server';
export { SANDBOX_APP, type SandboxConfig, type SandboxApp } from './sandbox-config';
