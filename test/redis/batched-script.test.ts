import { BatchedScript } from '../../src/lib/redis/batched-script';
import { defineScript } from '../../src/lib/redis/lua-script';
import { openRedis, testPrefix } from '../helpers/redis';

/** Adds ARGV[1] to KEYS[1]; replies with the new value, what KEYS[2] holds (false when unset) and the keys it was given. */
const ADD = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local label = KEYS[2] and redis.call('GET', KEYS[2])
return { total, label or false, #KEYS, #ARGV }`;

const add = defineScript({ name: 'test-add', source: ADD, keys: ['total', 'label'], args: ['by', 'extra'] });

describe('BatchedScript', () => {
  let prefix: string;
  let redis: ReturnType<typeof openRedis>;

  beforeEach(() => {
    prefix = testPrefix();
    redis = openRedis(prefix);
  });
  afterEach(() => redis.closeAndClean());

  it('sends the calls made in one turn as one EVALSHA, each answered as if sent alone', async () => {
    const script = new BatchedScript(redis, add);
    await redis.set(`${prefix}:label`, 'x');
    const replies = await Promise.all([
      script.run({ total: `${prefix}:a`, label: `${prefix}:label` }, { by: 5, extra: [] }),
      script.run({ total: `${prefix}:a`, label: `${prefix}:missing` }, { by: 7, extra: [] }),
      script.run({ total: `${prefix}:b`, label: [] }, { by: 1, extra: 'extra' }),
    ]);
    expect(script.counts).toEqual({ calls: 3, sends: 1 });
    expect(replies).toEqual([
      [5, 'x', 2, 1],
      [12, null, 2, 1],
      [1, null, 1, 2],
    ]);
    // The same call run alone replies the same way.
    expect(
      await add.run(redis, { total: `${prefix}:a`, label: `${prefix}:missing` }, { by: 0, extra: [] }),
    ).toEqual([12, null, 2, 1]);
  });

  it('rejects only the call that fails; the others keep their replies', async () => {
    const script = new BatchedScript(redis, add);
    await redis.rpush(`${prefix}:list`, 'not a number');
    const [before, failed, after] = await Promise.allSettled([
      script.run({ total: `${prefix}:a`, label: [] }, { by: 1, extra: [] }),
      script.run({ total: `${prefix}:list`, label: [] }, { by: 1, extra: [] }),
      script.run({ total: `${prefix}:a`, label: [] }, { by: 1, extra: [] }),
    ]);
    expect(script.counts.sends).toBe(1);
    expect(before).toEqual({ status: 'fulfilled', value: [1, null, 1, 1] });
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/WRONGTYPE/) },
    });
    expect(after).toEqual({ status: 'fulfilled', value: [2, null, 1, 1] });
  });

  it('sends calls of different turns apart, and no more per send than allowed', async () => {
    const script = new BatchedScript(redis, add, { maxCallsPerSend: 2 });
    await script.run({ total: `${prefix}:a`, label: [] }, { by: 1, extra: [] });
    await script.run({ total: `${prefix}:a`, label: [] }, { by: 1, extra: [] });
    expect(script.counts).toEqual({ calls: 2, sends: 2 });
    const totals = await Promise.all(
      [1, 2, 3, 4, 5].map(() => script.run({ total: `${prefix}:a`, label: [] }, { by: 1, extra: [] })),
    );
    expect(totals.map((reply) => (reply as number[])[0])).toEqual([3, 4, 5, 6, 7]);
    expect(script.counts).toEqual({ calls: 7, sends: 5 });
  });
});
