import DataLoader from 'dataloader';
import type { RedisClient } from './redis-connection';
import { runScript, type ScriptArg } from './run-script';

/** One call of a script: the first `numberOfKeys` of `keysAndArgs` are its KEYS, the rest its ARGV. */
interface ScriptCall {
  numberOfKeys: number;
  keysAndArgs: readonly ScriptArg[];
}

export interface BatchedScriptOptions {
  /** The most calls one EVALSHA carries. @default 100 */
  maxCallsPerSend?: number;
}

export const defaultBatchedScriptOptions: Required<BatchedScriptOptions> = { maxCallsPerSend: 100 };

/**
 * The script that runs `lua` (written for one call: its KEYS, its ARGV, one reply) once per call it
 * is given, in order. KEYS: every call's keys. ARGV: the number of calls, each call's key and
 * argument counts, then every call's arguments. Each call runs protected: one that fails replies
 * with its error (Redis nests it in the reply) and the others with theirs, as if each had been
 * sent alone.
 */
export function batchedLuaOf(lua: string): string {
  return `local function one(KEYS, ARGV)
${lua}
end
local n = tonumber(ARGV[1])
local replies = {}
local k, a = 1, 2 + 2 * n
for i = 1, n do
  local nk, na = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local ok, reply = pcall(one, { unpack(KEYS, k, k + nk - 1) }, { unpack(ARGV, a, a + na - 1) })
  if not ok then reply = { err = type(reply) == 'table' and reply.err or tostring(reply) } end
  if reply == nil then reply = false end
  replies[i] = reply
  k, a = k + nk, a + na
end
return replies`;
}

/**
 * A Lua script whose calls made in one turn of the event loop reach Redis as one EVALSHA. A worker
 * running flat out has a dozen jobs reading their batch or recording an outcome per turn; an
 * EVALSHA of its own cost the worker 12 to 22 µs of CPU and Redis about 8, where one of ten calls
 * costs about 4 and 5 a call. Every call still runs atomically, and replies (or fails) as if sent
 * alone. In Redis Cluster every key of the calls must share one slot, as hire-queue's do (its
 * prefix's hash tag).
 */
export class BatchedScript {
  private readonly loader: DataLoader<ScriptCall, unknown>;
  private readonly batchedLua: string;
  /** Calls made, and EVALSHAs that carried them. */
  readonly counts = { calls: 0, sends: 0 };

  constructor(
    private readonly redis: RedisClient,
    private readonly lua: string,
    options: BatchedScriptOptions = {},
  ) {
    const { maxCallsPerSend } = { ...defaultBatchedScriptOptions, ...options };
    this.batchedLua = batchedLuaOf(lua);
    this.loader = new DataLoader((calls) => this.send(calls), {
      cache: false,
      maxBatchSize: maxCallsPerSend,
      // After the I/O callbacks of this turn (answers from Feishu, jobs handed over), not a timer:
      // the calls they made wait no longer than the turn.
      batchScheduleFn: (send) => setImmediate(send),
    });
  }

  /** Same arguments and reply as `runScript` of the script alone. */
  run(numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown> {
    this.counts.calls++;
    return this.loader.load({ numberOfKeys, keysAndArgs });
  }

  private async send(calls: readonly ScriptCall[]): Promise<unknown[]> {
    this.counts.sends++;
    const [only] = calls;
    if (calls.length === 1 && only)
      return [await runScript(this.redis, this.lua, only.numberOfKeys, ...only.keysAndArgs)];
    const keys: ScriptArg[] = [];
    const sizes: number[] = [];
    const args: ScriptArg[] = [];
    for (const { numberOfKeys, keysAndArgs } of calls) {
      sizes.push(numberOfKeys, keysAndArgs.length - numberOfKeys);
      for (let i = 0; i < keysAndArgs.length; i++) (i < numberOfKeys ? keys : args).push(keysAndArgs[i]!);
    }
    return (await runScript(
      this.redis,
      this.batchedLua,
      keys.length,
      ...keys,
      calls.length,
      ...sizes,
      ...args,
    )) as unknown[];
  }
}
