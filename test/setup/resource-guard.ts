import { openResources } from '../helpers/resources';

/**
 * Fails the suite when a test leaves a sandbox, Redis connection, queue or worker open:
 * those are the leaks that make a suite hang or bleed into the next one.
 */
afterAll(async () => {
  const leaked = [...openResources.entries()];
  for (const [, close] of leaked) await close().catch(() => undefined);
  openResources.clear();
  if (leaked.length > 0) {
    throw new Error(`test left open: ${leaked.map(([name]) => name).join(', ')}`);
  }
});
