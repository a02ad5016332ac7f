import {
  ATTEMPTS_CEILING,
  attemptsAllowed,
  backoffDelayMs,
  defaultRetryPolicy,
} from '../../src/lib/queues/retry-policy';

describe('retry policy', () => {
  it('backs off 2 s x 2^(n-1), half of it random, capped at 60 s', () => {
    const lowest = (n: number) => backoffDelayMs(n, defaultRetryPolicy, () => 0);
    const highest = (n: number) => backoffDelayMs(n, defaultRetryPolicy, () => 1);
    expect([1, 2, 3, 4].map(highest)).toEqual([2000, 4000, 8000, 16_000]);
    expect([1, 2, 3, 4].map(lowest)).toEqual([1000, 2000, 4000, 8000]);
    expect(highest(10)).toBe(60_000);
    expect(lowest(10)).toBe(30_000);
    expect(highest(0)).toBe(2000);
  });

  it('lets the worker policy decide attempts, within what an older job was enqueued with', () => {
    expect(attemptsAllowed({ ...defaultRetryPolicy, attempts: 7 }, ATTEMPTS_CEILING)).toBe(7);
    expect(attemptsAllowed({ ...defaultRetryPolicy, attempts: 2 }, ATTEMPTS_CEILING)).toBe(2);
    expect(attemptsAllowed({ ...defaultRetryPolicy, attempts: 7 }, 5)).toBe(5);
    expect(attemptsAllowed(defaultRetryPolicy, undefined)).toBe(defaultRetryPolicy.attempts);
  });
});
