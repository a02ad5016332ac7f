// Asks for the fleet token from many concurrent callers at once, in this one process.
import { loadConfig } from '../../src/lib/config';
import { createRuntime } from '../../src/lib/runtime/hire-runtime';
import { readyThenGo } from '../helpers/child-process';

async function main() {
  const runtime = createRuntime(loadConfig(process.env), 'token-racer');
  await runtime.redis.ping();
  await readyThenGo();
  const callers = Number(process.argv[2] ?? 20);
  const tokens = await Promise.all(Array.from({ length: callers }, () => runtime.client.token.get()));
  console.log(
    JSON.stringify({
      distinct: [...new Set(tokens)].length,
      fetches: runtime.client.token.fetches,
      token: tokens[0],
    }),
  );
  await runtime.close();
}
void main();
