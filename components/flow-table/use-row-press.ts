"use client";

// Which row a click selects. While the table follows, the row element under a still pointer is
// replaced between press and release. When it only moves, the browser sends the click to the
// rows' container, not to a row; when it leaves the rendered range (a batch of new flows pushed it
// out), Chromium sends no click at all, because the element pressed is no longer in the document.
// So a pointer's press and release decide, not its click: the row pressed is the one the person
// aimed at, and it opens on the release anywhere in the rows. A click without a pointer (keyboard
// activation, assistive technology) still selects the row it names.

import { type MouseEvent, type PointerEvent, useCallback, useRef } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { useLatest } from "./use-latest";

export function useRowPress(rows: readonly FlowRow[], onRow: (row: FlowRow) => void) {
  const latest = useLatest({ rows, onRow });
  // The row pressed, until the pointer is released or cancelled anywhere (a release outside the
  // rows selects nothing, and must not leave the press for a later release).
  const press = useRef<{ row: FlowRow; end: AbortController } | undefined>(undefined);
  const rowAt = useCallback(
    (target: EventTarget | null): FlowRow | undefined => {
      const rowEl = (target as HTMLElement | null)?.closest?.<HTMLElement>("[data-index]");
      return rowEl ? latest.current.rows[Number(rowEl.dataset.index)] : undefined;
    },
    [latest],
  );
  const onPointerDown = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      press.current?.end.abort();
      press.current = undefined;
      const row = e.button === 0 ? rowAt(e.target) : undefined;
      if (!row) return;
      const end = new AbortController();
      const forget = () => {
        end.abort();
        if (press.current?.end === end) press.current = undefined;
      };
      // Window listeners run after the rows' own handler (the event bubbles to the window last).
      window.addEventListener("pointerup", forget, { signal: end.signal });
      window.addEventListener("pointercancel", forget, { signal: end.signal });
      press.current = { row, end };
    },
    [rowAt],
  );
  const onPointerUp = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      const pressed = press.current;
      if (pressed && e.button === 0) latest.current.onRow(pressed.row);
    },
    [latest],
  );
  const onClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      // A pointer's click (detail ≥ 1) was decided at its release.
      if (e.detail !== 0) return;
      const row = rowAt(e.target);
      if (row) latest.current.onRow(row);
    },
    [latest, rowAt],
  );
  return { onPointerDown, onPointerUp, onClick };
}
