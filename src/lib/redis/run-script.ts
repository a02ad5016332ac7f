import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection';

export type ScriptArg = string | number | Buffer;

const shas = new Map<string, string>();

function shaOf(lua: string): string {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  return sha;
}

/** Redis's answer to `EVALSHA` of a script it has not loaded (a new server, a restart, `SCRIPT FLUSH`). */
function isScriptNotLoaded(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * `EVAL` by SHA: the script's text crosses the wire only when Redis does not have it yet, not at
 * every call. Our scripts run several times per job; sent whole, their text cost a worker a tenth
 * of its CPU. Same arguments as `redis.eval`. (Not ioredis's `defineCommand`: a command defined
 * while an auto-pipeline is being filled is missing from that pipeline.)
 */
export async function runScript(
  redis: RedisClient,
  lua: string,
  numberOfKeys: number,
  ...keysAndArgs: ScriptArg[]
): Promise<unknown> {
  try {
    return await redis.evalsha(shaOf(lua), numberOfKeys, ...keysAndArgs);
  } catch (error) {
    if (!isScriptNotLoaded(error)) throw error;
    return redis.eval(lua, numberOfKeys, ...keysAndArgs);
  }
}
