import type { RateLimit } from '../lib/limiter/rate-limit-spec';
import { PeakWindowCounter } from './admission-window';
import type { EndpointFaults, SandboxEndpoint } from './sandbox-config';

export type InjectedFault = Exclude<
  keyof EndpointFaults,
  'slowAnswerDelayMs' | 'latencyMs' | 'jitterMs' | 'tailMinMs' | 'tailMaxMs' | 'firstCalls'
>;

/** What one endpoint has seen since the sandbox started; the truth tests and benchmarks read. */
export interface EndpointStats {
  calls: number;
  successes: number;
  /** Answers per business code (0 excluded), e.g. `{ "1002206": 3 }`; 429s are under 99991400. */
  codes: Record<string, number>;
  http429: number;
  /** Per cap window length in ms: the most calls that arrived in any such window. */
  peakInWindow: Record<string, number>;
  faults: Partial<Record<InjectedFault, number>>;
}

export class EndpointCounters {
  readonly stats: EndpointStats = {
    calls: 0,
    successes: 0,
    codes: {},
    http429: 0,
    peakInWindow: {},
    faults: {},
  };
  private readonly peaks: PeakWindowCounter[];

  constructor(
    readonly endpoint: SandboxEndpoint,
    limits: readonly RateLimit[],
  ) {
    const windows = new Set(limits.map((l) => l.windowMs));
    this.peaks = [...windows].map((w) => new PeakWindowCounter(w));
  }

  arrived(nowMs: number): void {
    this.stats.calls++;
    for (const peak of this.peaks) {
      peak.record(nowMs);
      this.stats.peakInWindow[String(peak.windowMs)] = peak.peak;
    }
  }

  answered(status: number, code: number): void {
    if (code === 0) this.stats.successes++;
    else this.stats.codes[String(code)] = (this.stats.codes[String(code)] ?? 0) + 1;
    if (status === 429) this.stats.http429++;
  }

  injected(fault: InjectedFault): void {
    this.stats.faults[fault] = (this.stats.faults[fault] ?? 0) + 1;
  }
}

export type SandboxStatsByEndpoint = Record<SandboxEndpoint, EndpointStats>;
