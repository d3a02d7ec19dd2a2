"use client";

// The flow table: newest first, virtualized (fixed row height, only the rows in view are in the
// DOM), built to hold 100,000 rows. Row text is computed once per FlowRow (lib/flow-details/
// display, a WeakMap cache); rows are memoised and event handlers are delegated and stable, so a
// new batch re-renders only the rows in view.
//
// Following: while `following`, the newest rows show at the top as they arrive. Scrolling away
// from the top stops following (onFollowChange(false)); from then on new rows must not move what
// the user reads: after each update the row that was at the top of the view is found again and
// scrollTop moves by (its new index − its old index) × ROW_HEIGHT, before the browser paints. A
// button counts the new rows; it (or scrolling back to the very top) resumes following.
//
// The virtualizer gets index keys on purpose: keys that follow the rows would make it re-measure
// all 100,000 items on every batch; with index keys and a full buffer it measures nothing.

import { useVirtualizer } from "@tanstack/react-virtual";
import { type ReactNode, useCallback, useId, useMemo, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { ColumnPicker } from "./column-picker";
import { COLUMNS } from "./columns";
import { FlowTableRow, type PolicyOf, ROW_HEIGHT } from "./flow-table-row";
import { useColumnChoice } from "./use-column-choice";
import { useFollow } from "./use-follow";
import { useLatest } from "./use-latest";
import { useRowCursor } from "./use-row-cursor";
import { useRowPress } from "./use-row-press";

export { ROW_HEIGHT } from "./flow-table-row";
export { indexOfRow } from "./rows";

const OVERSCAN = 16;

export interface FlowTableProps {
  /** Newest first. */
  rows: readonly FlowRow[];
  selectedId?: string;
  /** A click on a row, or Enter on the keyboard-active row. */
  onSelect(id: string): void;
  following: boolean;
  onFollowChange(following: boolean): void;
  /** Shown instead of rows when there are none. */
  emptyMessage?: ReactNode;
  /** Extra controls for the toolbar above the table (e.g. the export buttons). */
  toolbar?: ReactNode;
  /**
   * A one-line status beside the count (e.g. what the flow budget left out). It shares the
   * toolbar's line, so it appearing never moves the rows under a pointer about to click.
   */
  status?: ReactNode;
  /**
   * The policy cell for rows Hubble names no policy for (the policy explainer's answer for drops).
   * A new function re-renders the rows in view: change it only when its answers change.
   */
  policyOf?: PolicyOf;
  /** The grid's accessible name; "Flows" by default. */
  label?: string;
  /** Another value shows other rows altogether (a page of flows): the table goes back to its top. */
  scrollKey?: string;
  /**
   * Flows newer than the top row while not following, when the rows given are held still by the
   * page (then the table cannot count them itself).
   */
  newFlows?: number;
  className?: string;
}

export function FlowTable({
  rows,
  selectedId,
  onSelect,
  following,
  onFollowChange,
  emptyMessage = "No flows.",
  toolbar,
  status,
  policyOf,
  label = "Flows",
  scrollKey,
  newFlows,
  className = "",
}: FlowTableProps) {
  const gridId = useId();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useColumnChoice();
  const template = useMemo(() => visible.map((id) => COLUMNS[id].width).join(" "), [visible]);
  const minWidth = useMemo(() => `${visible.reduce((sum, id) => sum + COLUMNS[id].minRem, 0)}rem`, [visible]);
  const [focused, setFocused] = useState(false);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    // The sticky header row sits above row 0 inside the scroller.
    paddingStart: ROW_HEIGHT,
    scrollPaddingStart: ROW_HEIGHT,
  });
  const cursor = useRowCursor({ rows, selectedId, onSelect, virtualizer, scrollRef });
  const { activeIndex } = cursor;
  const { newCount, onScroll, resume } = useFollow({ rows, following, onFollowChange, scrollRef, scrollKey, newFlows });
  const latest = useLatest({ following, onFollowChange, onSelect, moveTo: cursor.moveTo });
  const press = useRowPress(
    rows,
    useCallback(
      (row: FlowRow) => {
        const l = latest.current;
        l.moveTo(row.id);
        // The clicked row stays where it is: new flows are counted above, not pushed in.
        if (l.following) l.onFollowChange(false);
        l.onSelect(row.id);
      },
      [latest],
    ),
  );

  const items = virtualizer.getVirtualItems();
  const activeDomId = activeIndex >= 0 && items.some((it) => it.index === activeIndex) ? `${gridId}-r${activeIndex}` : undefined;

  return (
    <div className={`flex h-full min-h-0 flex-col ${className}`}>
      <div className="flex items-center gap-2 px-1 pb-1 text-xs text-slate-500 dark:text-slate-400">
        <span className="shrink-0">
          {rows.length.toLocaleString("en-US")} {rows.length === 1 ? "flow" : "flows"}
          {!following && rows.length > 0 ? " · paused scrolling" : ""}
        </span>
        {status}
        <span className="ml-auto flex shrink-0 items-center gap-2">
          {toolbar}
          <ColumnPicker visible={visible} onChange={setVisible} />
        </span>
      </div>
      <div
        role="grid"
        aria-label={label}
        aria-rowcount={rows.length + 1}
        aria-colcount={visible.length}
        aria-activedescendant={focused ? activeDomId : undefined}
        aria-multiselectable={false}
        tabIndex={0}
        onKeyDown={cursor.onKeyDown}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        className="relative flex min-h-0 flex-1 flex-col rounded border border-slate-200 font-mono text-xs outline-none focus-visible:border-sky-500 focus-visible:ring-1 focus-visible:ring-sky-500 dark:border-slate-700"
      >
        <div
          ref={scrollRef}
          role="rowgroup"
          onScroll={onScroll}
          onPointerDown={press.onPointerDown}
          onPointerUp={press.onPointerUp}
          onClick={press.onClick}
          className="relative min-h-0 flex-1 overflow-auto [overflow-anchor:none]"
        >
          <div style={{ minWidth, height: rows.length === 0 ? undefined : virtualizer.getTotalSize(), position: "relative" }}>
            <div
              role="row"
              aria-rowindex={1}
              className="sticky top-0 z-10 grid items-center border-b border-slate-200 bg-slate-50 font-sans font-medium text-slate-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300"
              style={{ gridTemplateColumns: template, height: ROW_HEIGHT }}
            >
              {visible.map((id) => (
                <div key={id} role="columnheader" className="truncate px-2">
                  {COLUMNS[id].header}
                </div>
              ))}
            </div>
            {rows.length === 0 ? (
              <div role="row">
                <div role="gridcell" className="p-4 font-sans text-sm text-slate-500 dark:text-slate-400">
                  {emptyMessage}
                </div>
              </div>
            ) : (
              items.map((item) => {
                const row = rows[item.index];
                return (
                  <FlowTableRow
                    key={row.id}
                    domId={`${gridId}-r${item.index}`}
                    row={row}
                    index={item.index}
                    start={item.start}
                    template={template}
                    visible={visible}
                    selected={row.id === selectedId}
                    active={focused && item.index === activeIndex}
                    policyOf={policyOf}
                  />
                );
              })
            )}
          </div>
        </div>
        {!following && newCount > 0 && (
          <button
            type="button"
            onClick={resume}
            className="absolute left-1/2 top-9 z-20 -translate-x-1/2 rounded-full bg-sky-600 px-3 py-1 font-sans text-xs font-medium text-white shadow hover:bg-sky-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500"
          >
            {newCount.toLocaleString("en-US")} new {newCount === 1 ? "flow" : "flows"}
          </button>
        )}
      </div>
    </div>
  );
}
