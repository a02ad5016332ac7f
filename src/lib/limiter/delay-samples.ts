/** The last `capacity` measurements of one delay, in ms: enough to read a high percentile from. */
export class DelaySamples {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity = 256) {}

  get count(): number {
    return this.values.length;
  }

  push(valueMs: number): void {
    if (!Number.isFinite(valueMs)) return;
    if (this.values.length < this.capacity) this.values.push(valueMs);
    else this.values[this.next] = valueMs;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The `p`-quantile (0..1); 0 without samples. */
  quantile(p: number): number {
    return quantileOf(this.values, p);
  }

  /** The samples, oldest first only until the buffer wraps: two buffers pushed together stay aligned. */
  all(): readonly number[] {
    return this.values;
  }

  min(): number {
    return this.values.length === 0 ? 0 : Math.min(...this.values);
  }
}

/** The `p`-quantile (0..1) of `values`, nearest rank; 0 when empty. */
export function quantileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The largest value pushed within the last `windowMs`, kept as a monotonic queue: each value is
 * looked at a bounded number of times, whatever the rate, so a minute of calls at 50/s costs a few
 * entries, not 3,000.
 */
export class RecentMaximum {
  private readonly entries: { atMs: number; value: number }[] = [];

  constructor(readonly windowMs: number) {}

  push(value: number, atMs: number): void {
    if (!Number.isFinite(value)) return;
    // A later, larger value outlives every smaller one before it: they can never be the maximum again.
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.value <= value)
      this.entries.pop();
    this.entries.push({ atMs, value });
  }

  /** The largest value pushed in the `windowMs` before `nowMs`; undefined when none was. */
  max(nowMs: number): number | undefined {
    while (this.entries.length > 0 && this.entries[0]!.atMs < nowMs - this.windowMs) this.entries.shift();
    return this.entries[0]?.value;
  }
}
