import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with sub-millisecond resolution. */
export const localNowMs = (): number => performance.timeOrigin + performance.now();

/** How long an offset sample stays trusted before a slower one may replace it. @default 60_000 */
const SAMPLE_TTL_MS = 60_000;

/**
 * Redis's clock as seen from this process, NTP-style: each round trip that carried Redis's time
 * gives an offset, exact within half its round trip; the fastest recent one is kept. So a reply
 * that sat in a busy event loop does not shift what this process thinks Redis's time is.
 */
export class RedisClock {
  private best: { offsetMs: number; rttMs: number; atMs: number } | undefined;

  /** `sentAt`/`receivedAt`: local times around a command that answered Redis's `redisNowMs`. */
  observe(sentAt: number, receivedAt: number, redisNowMs: number): void {
    const rttMs = receivedAt - sentAt;
    const offsetMs = redisNowMs - (sentAt + receivedAt) / 2;
    if (!this.best || rttMs <= this.best.rttMs || receivedAt - this.best.atMs > SAMPLE_TTL_MS) {
      this.best = { offsetMs, rttMs, atMs: receivedAt };
    }
  }

  /** A Redis time on this process's clock. */
  toLocal(redisMs: number): number {
    return redisMs - (this.best?.offsetMs ?? 0);
  }
}
