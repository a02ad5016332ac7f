import { openResources } from '../helpers/resources';

declare global {
  var __hireQueueTestFailed: boolean | undefined;
}

/** Closes what is still open, last opened first; answers what was. */
async function closeLeftovers(): Promise<string[]> {
  const leftovers = [...openResources.entries()].reverse();
  openResources.clear();
  for (const [, close] of leftovers) await close().catch(() => undefined);
  return leftovers.map(([name]) => name);
}

/**
 * Every test closes what it opened (sandboxes, connections, workers, processes). After each test
 * the guard closes whatever is left; for a test that passed, anything left is a leak and fails it,
 * since such leaks make suites hang or bleed into the next test. For a test that already failed,
 * the cleanup is silent: the failure is the news, not the resources it could not reach.
 */
afterEach(async () => {
  const leaked = await closeLeftovers();
  if (leaked.length > 0 && !globalThis.__hireQueueTestFailed) {
    throw new Error(`test left open: ${leaked.join(', ')}`);
  }
});

afterAll(async () => {
  const leaked = await closeLeftovers();
  if (leaked.length > 0) throw new Error(`suite left open: ${leaked.join(', ')}`);
});
