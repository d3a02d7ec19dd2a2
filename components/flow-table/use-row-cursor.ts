"use client";

// The keyboard cursor (the "active" row) of the flow table: it follows a selection made elsewhere,
// moves with the arrows, Page Up/Down, Home and End (scrolling it into view), and Enter selects it.
// It is kept by row id, found again near where it was as rows arrive.

import type { Virtualizer } from "@tanstack/react-virtual";
import { type KeyboardEvent, type RefObject, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { ROW_HEIGHT } from "./flow-table-row";
import { indexOfRow } from "./rows";
import { useLatest } from "./use-latest";

export interface RowCursorInput {
  readonly rows: readonly FlowRow[];
  readonly selectedId: string | undefined;
  readonly onSelect: (id: string) => void;
  readonly virtualizer: Virtualizer<HTMLDivElement, Element>;
  readonly scrollRef: RefObject<HTMLDivElement | null>;
}

export function useRowCursor({ rows, selectedId, onSelect, virtualizer, scrollRef }: RowCursorInput) {
  const [activeId, setActiveId] = useState<string | undefined>(selectedId);
  const [prevSelected, setPrevSelected] = useState(selectedId);
  if (selectedId !== prevSelected) {
    setPrevSelected(selectedId);
    if (selectedId !== undefined) setActiveId(selectedId);
  }
  const activeHint = useRef(0);
  const activeIndex = useMemo(() => indexOfRow(rows, activeId, activeHint.current), [rows, activeId]);
  useLayoutEffect(() => {
    if (activeIndex >= 0) activeHint.current = activeIndex;
  }, [activeIndex]);

  const latest = useLatest({ rows, activeIndex, virtualizer, onSelect });
  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      const { rows: all, activeIndex: at, virtualizer: v, onSelect: select } = latest.current;
      if (all.length === 0) return;
      const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
      let next: number;
      switch (e.key) {
        case "ArrowDown":
          next = at < 0 ? 0 : at + 1;
          break;
        case "ArrowUp":
          next = at < 0 ? 0 : at - 1;
          break;
        case "PageDown":
          next = (at < 0 ? 0 : at) + page;
          break;
        case "PageUp":
          next = (at < 0 ? 0 : at) - page;
          break;
        case "Home":
          next = 0;
          break;
        case "End":
          next = all.length - 1;
          break;
        case "Enter":
          if (at >= 0) {
            e.preventDefault();
            select(all[at].id);
          }
          return;
        default:
          return;
      }
      e.preventDefault();
      next = Math.min(Math.max(next, 0), all.length - 1);
      activeHint.current = next;
      setActiveId(all[next].id);
      v.scrollToIndex(next, { align: "auto" });
    },
    [latest, scrollRef],
  );

  /** A row clicked: the cursor goes there. */
  const moveTo = useCallback((id: string) => setActiveId(id), []);

  // A selection made elsewhere (a deep link, the map) is scrolled into view once its row exists.
  const revealId = useRef<string | undefined>(selectedId);
  useEffect(() => {
    revealId.current = selectedId;
  }, [selectedId]);
  useEffect(() => {
    if (revealId.current === undefined) return;
    const i = indexOfRow(rows, revealId.current, activeHint.current);
    if (i < 0) return;
    revealId.current = undefined;
    virtualizer.scrollToIndex(i, { align: "auto" });
  }, [rows, selectedId, virtualizer]);

  return { activeIndex, onKeyDown, moveTo };
}
