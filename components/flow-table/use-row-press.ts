"use client";

// Which row a click selects. While the table follows, the row element under a still pointer is
// replaced between press and release, and the browser then sends the click to the rows'
// container, not to a row: the row pressed is the one the person aimed at.

import { type MouseEvent, type PointerEvent, useCallback, useRef } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { useLatest } from "./use-latest";

export function useRowPress(rows: readonly FlowRow[], onRow: (row: FlowRow) => void) {
  const latest = useLatest({ rows, onRow });
  const pressed = useRef<FlowRow | undefined>(undefined);
  const rowAt = useCallback(
    (target: EventTarget | null): FlowRow | undefined => {
      const rowEl = (target as HTMLElement | null)?.closest?.<HTMLElement>("[data-index]");
      return rowEl ? latest.current.rows[Number(rowEl.dataset.index)] : undefined;
    },
    [latest],
  );
  const onPointerDown = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      pressed.current = e.button === 0 ? rowAt(e.target) : undefined;
    },
    [rowAt],
  );
  const onClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      const row = pressed.current ?? rowAt(e.target);
      pressed.current = undefined;
      if (row) latest.current.onRow(row);
    },
    [latest, rowAt],
  );
  return { onPointerDown, onClick };
}
