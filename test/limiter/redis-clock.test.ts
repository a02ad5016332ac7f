import { RedisClock } from '../../src/lib/limiter/redis-clock';

describe('RedisClock', () => {
  it('takes the offset from the fastest round trip, so a slow reply does not shift it', () => {
    const clock = new RedisClock();
    // Redis is 500 ms ahead. A fast sample (1 ms round trip) ...
    clock.observe(1000, 1001, 1500.5);
    expect(clock.toLocal(2000)).toBeCloseTo(1500, 3);
    // ... is not displaced by a reply that sat 40 ms in a busy event loop.
    clock.observe(2000, 2040, 2500.5);
    expect(clock.toLocal(2000)).toBeCloseTo(1500, 3);
    // A faster one replaces it.
    clock.observe(3000, 3000.2, 3500.1);
    expect(clock.toLocal(4000)).toBeCloseTo(3500, 3);
  });

  it('lets an old sample be replaced, so drift between clocks is followed', () => {
    const clock = new RedisClock();
    clock.observe(0, 1, 10.5);
    clock.observe(70_000, 70_005, 70_012.5);
    expect(clock.toLocal(100)).toBeCloseTo(90, 3);
  });

  it('treats the clocks as equal before any sample', () => {
    expect(new RedisClock().toLocal(1234)).toBe(1234);
  });
});
