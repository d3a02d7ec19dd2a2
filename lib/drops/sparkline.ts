// Counts over a time window in equal buckets, and the SVG path that draws them. Pure.

export interface TimeWindowMs {
  readonly startMs: number;
  readonly endMs: number;
}

export const DEFAULT_BUCKETS = 24;

/** The bucket a time falls in; times outside the window go to the first or last bucket. */
export function bucketIndex(timeMs: number, window: TimeWindowMs, buckets: number): number {
  const span = window.endMs - window.startMs;
  if (!(span > 0) || !Number.isFinite(timeMs)) return buckets - 1;
  const i = Math.floor(((timeMs - window.startMs) / span) * buckets);
  return Math.min(buckets - 1, Math.max(0, i));
}

/** The window a newest-first list of rows covers (at least 1 s, so a burst still draws). */
export function windowOfRows(rows: readonly { readonly timeMs: number }[]): TimeWindowMs {
  if (rows.length === 0) return { startMs: 0, endMs: 1000 };
  const endMs = rows[0].timeMs;
  const startMs = Math.min(rows[rows.length - 1].timeMs, endMs - 1000);
  return { startMs, endMs };
}

/**
 * A line through the bucket counts, scaled to `max` (the largest count by default), in a
 * width × height box with y growing downwards; a flat line at the bottom when all are zero.
 */
export function sparklinePath(counts: readonly number[], width: number, height: number, max = Math.max(0, ...counts)): string {
  if (counts.length === 0) return "";
  const step = counts.length > 1 ? width / (counts.length - 1) : 0;
  const y = (c: number) => (max > 0 ? height - (Math.min(c, max) / max) * height : height);
  return counts.map((c, i) => `${i === 0 ? "M" : "L"}${round(i * step)},${round(y(c))}`).join("");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
