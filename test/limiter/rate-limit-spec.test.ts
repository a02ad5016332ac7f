import { ConfigError } from '../../src/lib/errors/config-error';
import { formatRateLimits, parseRateLimits } from '../../src/lib/limiter/rate-limit-spec';

describe('rate-limit spec', () => {
  it.each([
    [
      '50/s,1000/min',
      [
        { limit: 50, windowMs: 1000 },
        { limit: 1000, windowMs: 60_000 },
      ],
    ],
    ['20/s', [{ limit: 20, windowMs: 1000 }]],
    ['20/2s', [{ limit: 20, windowMs: 2000 }]],
    ['100/500ms', [{ limit: 100, windowMs: 500 }]],
    [
      ' 5 / sec , 7/h ',
      [
        { limit: 5, windowMs: 1000 },
        { limit: 7, windowMs: 3_600_000 },
      ],
    ],
    ['3/m', [{ limit: 3, windowMs: 60_000 }]],
  ])('parses %j', (spec, caps) => {
    expect(parseRateLimits(spec, 'HIRE_LIMIT_CREATE')).toEqual(caps);
  });

  it.each([
    ['', 'is empty'],
    ['50', '"50" is not a cap'],
    ['50/day', '"50/day" is not a cap'],
    ['0/s', 'must allow at least one call'],
    ['5/0s', 'must allow at least one call'],
  ])('refuses %j naming the setting', (spec, problem) => {
    const parse = () => parseRateLimits(spec, 'HIRE_LIMIT_TERMINATE');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/HIRE_LIMIT_TERMINATE/);
    expect(parse).toThrow(problem);
  });

  it('formats what it parses back to the same caps', () => {
    for (const spec of ['50/s,1000/min', '20/2s', '100/500ms', '7/5min']) {
      const caps = parseRateLimits(spec, 'X');
      expect(parseRateLimits(formatRateLimits(caps), 'X')).toEqual(caps);
    }
  });
});
