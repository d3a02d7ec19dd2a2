// How a newest-first row list changed since the last one the map aggregated, so the map feeds its
// model only the difference. The flow buffer prepends new rows and cuts the oldest from the end
// (lib/flow-buffer.ts), keeping row objects, and sometimes merges a late flow in; only a mostly new
// list (a new query, a filter) is reported as a reset and the map re-aggregates from scratch.

import type { FlowRow } from "../flow-model";

export type RowDiff = { readonly kind: "same" } | { readonly kind: "delta"; readonly added: readonly FlowRow[]; readonly removed: readonly FlowRow[] } | { readonly kind: "reset" };

export function diffRows(prev: readonly FlowRow[], next: readonly FlowRow[]): RowDiff {
  if (prev === next) return { kind: "same" };
  if (prev.length === 0) return next.length === 0 ? { kind: "same" } : { kind: "reset" };
  if (next.length === 0) return { kind: "reset" };
  const k = next.indexOf(prev[0]);
  const kept = next.length - k;
  if (k >= 0 && kept <= prev.length && samePrefix(next, k, prev, kept)) {
    if (k === 0 && kept === prev.length) return { kind: "same" };
    return { kind: "delta", added: next.slice(0, k), removed: prev.slice(kept) };
  }
  return setDifference(prev, next);
}

/** Reference comparison of the kept part: cheap even at 100k rows, and exact. */
function samePrefix(next: readonly FlowRow[], k: number, prev: readonly FlowRow[], kept: number): boolean {
  for (let i = 0; i < kept; i++) if (next[k + i] !== prev[i]) return false;
  return true;
}

/**
 * Rows merged out of order (flows from several nodes) leave most rows in place: find what came
 * and went by identity, which costs far less than re-aggregating everything. A mostly new list
 * (another query) is a reset.
 */
function setDifference(prev: readonly FlowRow[], next: readonly FlowRow[]): RowDiff {
  const before = new Set(prev);
  const added = next.filter((r) => !before.has(r));
  if (added.length > next.length / 2) return { kind: "reset" };
  const after = new Set(next);
  const removed = prev.filter((r) => !after.has(r));
  if (added.length === 0 && removed.length === 0) return { kind: "same" };
  return { kind: "delta", added, removed };
}

/** Newest − oldest time of a newest-first list, in ms (0 when it has fewer than two rows). */
export function rowsSpanMs(rows: readonly FlowRow[]): number {
  if (rows.length < 2) return 0;
  return Math.max(0, rows[0].timeMs - rows[rows.length - 1].timeMs);
}
