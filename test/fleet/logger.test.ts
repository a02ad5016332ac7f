import { Writable } from 'node:stream';
import { createLogger } from '../../src/lib/logger';

/** The lines a logger wrote, parsed. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  const secret = 'sandbox-secret-not-for-production';

  it('redacts secrets wherever the objects that carry them put them', () => {
    const out = capture();
    const logger = createLogger('hire-queue', { destination: out.stream });
    logger.info({ appSecret: secret, token: secret, sign: secret, jobId: 'create:7:12' }, 'top level');
    logger.info(
      { config: { appId: 'cli_x', appSecret: secret, notifyWebhook: secret, redisUrl: secret } },
      'config',
    );
    logger.info({ headers: { Authorization: `Bearer ${secret}` } }, 'headers');
    logger.info(
      { err: { config: { headers: { Authorization: `Bearer ${secret}` }, data: secret } } },
      'axios error',
    );
    logger.info(
      { error: { config: { data: JSON.stringify({ app_secret: secret }) } } },
      'token fetch failed',
    );
    const lines = out.lines();
    expect(lines).toHaveLength(5);
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(lines[0]).toMatchObject({ appSecret: '[redacted]', jobId: 'create:7:12', msg: 'top level' });
    expect(lines[1]).toMatchObject({ config: { appId: 'cli_x', appSecret: '[redacted]' } });
    expect(lines[3]).toMatchObject({ err: { config: { headers: { Authorization: '[redacted]' } } } });
  });

  it('keeps what is not a secret, and the level it was given', () => {
    const out = capture();
    const logger = createLogger('hire-queue', { level: 'warn', destination: out.stream });
    logger.info({ jobId: 'create:7:1' }, 'below the level');
    logger.warn({ jobId: 'create:7:2', err: 'connect ECONNREFUSED' }, 'kept');
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 40,
        name: 'hire-queue',
        jobId: 'create:7:2',
        err: 'connect ECONNREFUSED',
      }),
    ]);
  });
});
