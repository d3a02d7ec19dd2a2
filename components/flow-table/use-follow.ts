"use client";

// Following the newest rows. While following, they show at the top as they arrive; scrolling away
// from the top stops following, and from then on new rows must not move what the user reads: after
// each update the row that was at the top of the view is found again and scrollTop moves by (its
// new index − its old index) × ROW_HEIGHT, before the browser paints. The rows that arrived since
// are counted; `resume` (or scrolling back to the very top) follows again.

import { type RefObject, useCallback, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { ROW_HEIGHT } from "./flow-table-row";
import { indexOfRow } from "./rows";
import { useLatest } from "./use-latest";

export interface FollowInput {
  readonly rows: readonly FlowRow[];
  readonly following: boolean;
  readonly onFollowChange: (following: boolean) => void;
  readonly scrollRef: RefObject<HTMLDivElement | null>;
  /** Another value shows other rows altogether: back to the top. */
  readonly scrollKey: string | undefined;
  /** New flows counted by the page (when it holds the rows still); otherwise counted here. */
  readonly newFlows: number | undefined;
}

export function useFollow({ rows, following, onFollowChange, scrollRef, scrollKey, newFlows }: FollowInput) {
  // The newest row when following stopped; every row above it since is new.
  const [pausedTop, setPausedTop] = useState<FlowRow | null | undefined>(undefined);
  if (following && pausedTop !== undefined) setPausedTop(undefined);
  if (!following && pausedTop === undefined) setPausedTop(rows[0] ?? null);
  const newCount = useMemo(() => {
    if (following || pausedTop === undefined) return 0;
    if (newFlows !== undefined) return newFlows;
    if (pausedTop === null) return rows.length;
    const i = rows.indexOf(pausedTop);
    return i < 0 ? rows.length : i;
  }, [rows, following, pausedTop, newFlows]);

  const latest = useLatest({ following, onFollowChange });

  // Not following: keep the row at the top of the view where it is when rows arrive above it.
  const shownRows = useRef(rows);
  useLayoutEffect(() => {
    const before = shownRows.current;
    shownRows.current = rows;
    const el = scrollRef.current;
    if (before === rows || following || !el || el.scrollTop <= 0) return;
    const top = el.scrollTop;
    const at = Math.floor(top / ROW_HEIGHT);
    const anchor = before[at];
    if (!anchor) return;
    const now = indexOfRow(rows, anchor.id, at);
    if (now >= 0 && now !== at) el.scrollTop = top + (now - at) * ROW_HEIGHT;
  }, [rows, following, scrollRef]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const { following: f, onFollowChange: change } = latest.current;
    if (f && el.scrollTop > ROW_HEIGHT / 2) change(false);
    else if (!f && el.scrollTop <= 0) change(true);
  }, [latest, scrollRef]);

  // Other rows altogether: start at the top.
  useLayoutEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [scrollKey, scrollRef]);

  // Following again (our button, or the page): back to the newest rows.
  useLayoutEffect(() => {
    if (following && scrollRef.current && scrollRef.current.scrollTop !== 0) {
      scrollRef.current.scrollTop = 0;
    }
  }, [following, scrollRef]);

  const resume = useCallback(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    latest.current.onFollowChange(true);
  }, [latest, scrollRef]);

  return { newCount, onScroll, resume };
}
