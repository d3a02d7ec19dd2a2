// A log-bucketed latency histogram: eight buckets per doubling from 1 µs to ~2^28 µs (~4.5 min),
// so percentiles are within ~5 % and — unlike a sorted sample — counts can be removed again when
// old flows leave the window.

const PER_DOUBLING = 8;
const DOUBLINGS = 28;
export const LATENCY_BUCKETS = PER_DOUBLING * DOUBLINGS;
const MIN_NS = 1000;

export function latencyBucket(ns: number): number {
  if (!(ns > MIN_NS)) return 0;
  const b = Math.floor(Math.log2(ns / MIN_NS) * PER_DOUBLING);
  return b >= LATENCY_BUCKETS ? LATENCY_BUCKETS - 1 : b;
}

/** The representative value of a bucket (its geometric middle), in milliseconds. */
export function bucketMs(bucket: number): number {
  return (MIN_NS * 2 ** ((bucket + 0.5) / PER_DOUBLING)) / 1e6;
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(LATENCY_BUCKETS);
  total = 0;

  /** Adds `delta` latencies of `ns` (negative: takes them back, never below zero). */
  add(ns: number, delta: number): void {
    const b = latencyBucket(ns);
    const next = Math.max(0, this.counts[b] + delta);
    this.total += next - this.counts[b];
    this.counts[b] = next;
  }

  /** The q-quantile (0 < q ≤ 1) in milliseconds; undefined when empty. */
  quantileMs(q: number): number | undefined {
    if (this.total <= 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < LATENCY_BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return bucketMs(b);
    }
    return bucketMs(LATENCY_BUCKETS - 1);
  }
}
