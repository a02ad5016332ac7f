import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis-connection';
import { runScript, type ScriptArg } from './run-script';

/** Where the scripts are: beside this file, in the sources and in the build (`npm run build` copies them). */
export const LUA_DIR = join(__dirname, 'lua');

/** `--- @include "includes/name"` on a line of its own: replaced by that file, once per script. */
const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

/**
 * A script's text with its includes resolved: each included file appears once, where it is first
 * included, so an include may include another and two may share one.
 */
export function loadLua(name: string, included: Set<string> = new Set([name]), from?: string): string {
  let text: string;
  try {
    text = readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `Lua script ${name}.lua${from ? ` (included by ${from})` : ''} could not be read from ${LUA_DIR}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return resolveIncludes(text, included, name);
}

/** Replaces each include directive of `text` with the included file (resolved in turn). */
export function resolveIncludes(text: string, included: Set<string> = new Set(), name = 'a script'): string {
  const resolved = text.replace(INCLUDE, (_, include: string) => {
    if (included.has(include)) return '';
    included.add(include);
    return loadLua(include, included, name);
  });
  // A directive written otherwise (indented, quoted wrongly) would be left as a comment, and what
  // it should define missing only when the script runs: refused here instead.
  const stray = resolved.split('\n').find((line) => line.includes('@include'));
  if (stray !== undefined)
    throw new Error(`${name}: malformed include "${stray.trim()}" (write: --- @include "includes/name")`);
  return resolved;
}

/** A key or argument slot: one value, or a group of any length (an optional group is empty). */
type Slot<T> = T | readonly T[];
export type ScriptKeys<K extends string> = Readonly<Record<K, Slot<string>>>;
export type ScriptArgs<A extends string> = Readonly<Record<A, Slot<ScriptArg>>>;

/** One call of a script laid out for Redis: the first `numberOfKeys` of `keysAndArgs` are KEYS. */
export interface ScriptCall {
  numberOfKeys: number;
  keysAndArgs: readonly ScriptArg[];
}

/** A Lua script declared once: its file, its KEYS and ARGV by name (in order), and its reply read. */
export interface LuaScript<K extends string, A extends string, R> {
  readonly name: string;
  /** The text sent to Redis, includes resolved (read on first use). */
  readonly lua: string;
  /** KEYS and ARGV in the order the script's header names them. */
  layout(keys: ScriptKeys<K>, args: ScriptArgs<A>): ScriptCall;
  /** The reply as callers use it. */
  read(reply: unknown): R;
  /** Runs the script (by SHA; its text is sent only when Redis does not have it). */
  run(redis: RedisClient, keys: ScriptKeys<K>, args: ScriptArgs<A>): Promise<R>;
}

export interface ScriptSpec<K extends string, A extends string, R> {
  /** The file under `lua/`, without `.lua`. */
  name: string;
  keys: readonly K[];
  args: readonly A[];
  read?: (reply: unknown) => R;
  /** The script's text, for a script that is not a file (tests); includes are resolved. */
  source?: string;
}

function flatten<T>(into: T[], slot: Slot<T>): void {
  if (Array.isArray(slot)) into.push(...(slot as readonly T[]));
  else into.push(slot as T);
}

export function defineScript<const K extends string, const A extends string, R = unknown>(
  spec: ScriptSpec<K, A, R>,
): LuaScript<K, A, R> {
  let lua: string | undefined;
  const read = spec.read ?? ((reply: unknown) => reply as R);
  const script: LuaScript<K, A, R> = {
    name: spec.name,
    get lua() {
      lua ??= spec.source === undefined ? loadLua(spec.name) : resolveIncludes(spec.source);
      return lua;
    },
    layout(keys, args) {
      const keysAndArgs: ScriptArg[] = [];
      for (const name of spec.keys) flatten(keysAndArgs, keys[name]);
      const numberOfKeys = keysAndArgs.length;
      for (const name of spec.args) flatten(keysAndArgs, args[name]);
      return { numberOfKeys, keysAndArgs };
    },
    read,
    async run(redis, keys, args) {
      const { numberOfKeys, keysAndArgs } = script.layout(keys, args);
      return read(await runScript(redis, script.lua, numberOfKeys, ...keysAndArgs));
    },
  };
  return script;
}
