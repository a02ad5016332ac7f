import type { AuditLog } from '../lib/access/audit-log';
import type { People } from '../lib/access/people';
import type { Logger } from '../lib/logger';
import type { HireRuntime } from '../lib/runtime/hire-runtime';
import type { ConsoleSettings } from './console-settings';

/** What every route of the console uses: the same runtime as the CLI's, and the console's own stores. */
export interface ConsoleContext {
  runtime: HireRuntime;
  settings: ConsoleSettings;
  /** The app's credentials: the sign-in exchanges codes with them. */
  app: { appId: string; appSecret: string; baseUrl: string };
  people: People;
  audit: AuditLog;
  logger: Logger;
  /** Runs `stop` when the console closes (work it runs in the background). */
  onClose(stop: () => void): void;
  /** The address people open (known once the console listens). */
  publicUrl(): string;
}
