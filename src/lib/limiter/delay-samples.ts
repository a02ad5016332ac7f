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
