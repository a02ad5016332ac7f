import type { RateLimit } from '../lib/limiter/rate-limit-spec';

/**
 * One cap enforced the strictest way the platform may: at most `limit` admitted calls in ANY
 * window of `windowMs` (half-open), counted on arrival. Admission keeps the last `limit` admitted
 * arrival times; a call is admitted only when the oldest of them is a whole window old.
 */
export class AdmissionWindow {
  private readonly admitted: number[] = [];
  private head = 0;

  constructor(readonly cap: RateLimit) {}

  /** Milliseconds until a call arriving at `nowMs` would be admitted; 0 when it would be now. */
  waitMs(nowMs: number): number {
    if (this.admitted.length < this.cap.limit) return 0;
    const oldest = this.admitted[this.head]!;
    return Math.max(0, oldest + this.cap.windowMs - nowMs);
  }

  admit(nowMs: number): void {
    if (this.admitted.length < this.cap.limit) {
      this.admitted.push(nowMs);
    } else {
      this.admitted[this.head] = nowMs;
      this.head = (this.head + 1) % this.cap.limit;
    }
  }
}

/** The largest number of calls (admitted or not) that arrived within any window of `windowMs`. */
export class PeakWindowCounter {
  private readonly arrivals: number[] = [];
  private start = 0;
  peak = 0;

  constructor(readonly windowMs: number) {}

  record(nowMs: number): void {
    while (this.start < this.arrivals.length && this.arrivals[this.start]! <= nowMs - this.windowMs)
      this.start++;
    if (this.start > 4096) {
      this.arrivals.splice(0, this.start);
      this.start = 0;
    }
    this.arrivals.push(nowMs);
    this.peak = Math.max(this.peak, this.arrivals.length - this.start);
  }
}
