/** Everything a test opened and has not closed yet, by a readable name. */
export const openResources = new Map<string, () => Promise<unknown>>();
let seq = 0;

/** Registers `close` under `name`; the returned function closes it and takes it off the list. */
export function track(name: string, close: () => Promise<unknown>): () => Promise<void> {
  const key = `${name}#${++seq}`;
  openResources.set(key, close);
  return async () => {
    if (!openResources.delete(key)) return;
    await close();
  };
}
