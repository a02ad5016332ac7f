// npm run bench:ledger — Redis memory per ledger entry (talent and job -> application), the cost of
// remembering every application hire-queue created for --skip-created.
import { Redis } from 'ioredis';
import { ApplicationLedger, type LedgerEntry } from '../src/lib/ledger/application-ledger';
import { redisKeys } from '../src/lib/redis/redis-keys';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ENTRIES = Number(process.env.BENCH_LEDGER_ENTRIES ?? 100_000);

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function main() {
  const redis = new Redis(REDIS_URL);
  const prefix = `{bench-ledger-${Date.now().toString(36)}}`;
  const keys = redisKeys(prefix);
  const ledger = new ApplicationLedger(redis, keys);
  const before = await usedMemory(redis);
  const started = Date.now();
  for (let start = 0; start < ENTRIES; start += 1000) {
    const chunk: LedgerEntry[] = [];
    for (let i = start; i < Math.min(ENTRIES, start + 1000); i++) {
      // Real Feishu ids are 19 digits.
      chunk.push({
        talent_id: String(6_900_000_000_000_000_000n + BigInt(i)),
        job_id: '6800000000000000001',
        application_id: String(7_300_000_000_000_000_000n + BigInt(i)),
        at: Date.now(),
        how: 'created',
      });
    }
    await ledger.record(chunk);
  }
  const elapsed = Date.now() - started;
  const after = await usedMemory(redis);
  const [hashBytes, zsetBytes] = await Promise.all([
    redis.memory('USAGE', keys.ledger.entries, 'SAMPLES', 0),
    redis.memory('USAGE', keys.ledger.byTime, 'SAMPLES', 0),
  ]);
  console.log(`ledger entries: ${await ledger.size()} (19-digit ids), recorded in ${elapsed} ms`);
  console.log(
    `bytes per entry: ${(((hashBytes ?? 0) + (zsetBytes ?? 0)) / ENTRIES).toFixed(1)} by MEMORY USAGE ` +
      `(hash ${((hashBytes ?? 0) / ENTRIES).toFixed(1)}, time index ${((zsetBytes ?? 0) / ENTRIES).toFixed(1)}); ` +
      `${((after - before) / ENTRIES).toFixed(1)} by used_memory`,
  );
  await redis.del(keys.ledger.entries, keys.ledger.byTime);
  await redis.quit();
}

void main();
