// Stop strings are never emitted: text that could still grow into a stop string is held back until
// it either completes one (generation stops, the match and everything after it is dropped) or can
// no longer match (it is released).

export interface StopScan {
  /** Text safe to emit now. */
  emit: string;
  /** True when a stop string completed. */
  stopped: boolean;
}

export class StopStringMatcher {
  private pending = "";
  private readonly stops: string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(text: string): StopScan {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    this.pending += text;
    const hit = this.earliestMatch();
    if (hit >= 0) {
      const emit = this.pending.slice(0, hit);
      this.pending = "";
      return { emit, stopped: true };
    }
    const keep = this.partialSuffixLength();
    const emit = this.pending.slice(0, this.pending.length - keep);
    this.pending = this.pending.slice(this.pending.length - keep);
    return { emit, stopped: false };
  }

  /** Releases held-back text when generation ends for another reason. */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return rest;
  }

  private earliestMatch(): number {
    let best = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
  private partialSuffixLength(): number {
    let longest = 0;
    for (const stop of this.stops) {
      const max = Math.min(stop.length - 1, this.pending.length);
      for (let len = max; len > longest; len--) {
        if (this.pending.endsWith(stop.slice(0, len))) {
          longest = len;
          break;
        }
      }
    }
    return longest;
  }
}
