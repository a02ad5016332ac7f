// Sends N calls to one endpoint as fast as the fleet limiter allows, with some concurrency.
import { loadConfig } from '../../src/lib/config';
import { createRuntime } from '../../src/lib/runtime/hire-runtime';
import { readyThenGo } from '../helpers/child-process';

async function main() {
  const [operation = 'terminate', countArg = '20', concurrencyArg = '4'] = process.argv.slice(2);
  const runtime = createRuntime(loadConfig(process.env), 'limiter-hammer');
  const ids = (process.env.HAMMER_IDS ?? '').split(',');
  await runtime.client.token.get();
  await readyThenGo();
  let next = 0;
  const codes: Record<string, number> = {};
  const worker = async () => {
    while (next < Number(countArg)) {
      const i = next++;
      try {
        if (operation === 'create') {
          await runtime.client.createApplication({ talent_id: ids[i % ids.length]!, job_id: `job-${i}` });
        } else {
          await runtime.client.terminateApplication({
            application_id: ids[i % ids.length]!,
            termination_type: 1,
          });
        }
        codes['0'] = (codes['0'] ?? 0) + 1;
      } catch (error) {
        const code = String(
          (error as { feishuCode?: number; code?: string }).feishuCode ?? (error as Error).message,
        );
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
  console.log(JSON.stringify({ codes }));
  await runtime.close();
}
void main();
