import type { FlowRow } from "@/lib/flow-model";

/** Index of `row` in `rows`, searching outward from `hint`; -1 when it is gone. */
export function indexOfRow(rows: readonly FlowRow[], id: string | undefined, hint: number): number {
  if (id === undefined) return -1;
  const n = rows.length;
  const start = Math.min(Math.max(hint, 0), n - 1);
  for (let d = 0; d < n; d++) {
    const a = start + d;
    const b = start - d;
    if (a < n && rows[a].id === id) return a;
    if (b >= 0 && d > 0 && rows[b].id === id) return b;
    if (a >= n && b < 0) break;
  }
  return -1;
}
