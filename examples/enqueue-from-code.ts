// Enqueue terminations from your own code and wait for the report.
// Run: REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/enqueue-from-code.ts (with `hire-queue work` running)
import { HireQueueProducer } from 'hire-queue';

async function main() {
  const producer = await HireQueueProducer.connect(); // REDIS_URL, HIRE_QUEUE_PREFIX from the environment
  const { batchId, accepted, invalid } = await producer.enqueue('terminate', [
    { application_id: process.env.EXAMPLE_APPLICATION_ID ?? '7300000000000000001', termination_type: 1 },
    { application_id: '', termination_type: 3 }, // refused: named by row and field, nothing else lost
  ]);
  console.log(`batch ${batchId}: ${accepted} enqueued`, invalid);
  const report = await producer.waitForBatch(batchId);
  console.log(JSON.stringify(report.counts));
  await producer.close();
}

void main();
