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
import { memo, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent, type ReactNode } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { flowDisplay, type FlowDisplay, type VerdictTone } from "@/lib/flow-details/display";
import { COLUMNS, COLUMNS_STORAGE_KEY, DEFAULT_COLUMNS, readColumnChoice, type ColumnId } from "./columns";
import { ColumnPicker } from "./column-picker";

export const ROW_HEIGHT = 28;
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
  policyOf?: (row: FlowRow) => { text: string; title: string } | undefined;
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

/** Latest value in a ref, for stable callbacks. */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

function useColumnChoice(): [readonly ColumnId[], (next: readonly ColumnId[]) => void] {
  // The default on the server and in the first client render; the stored choice after mount.
  const [visible, setVisible] = useState<readonly ColumnId[]>(DEFAULT_COLUMNS);
  useEffect(() => {
    try {
      setVisible(readColumnChoice(window.localStorage.getItem(COLUMNS_STORAGE_KEY)));
    } catch {
      // Storage can be disabled; the default stands.
    }
  }, []);
  const change = useCallback((next: readonly ColumnId[]) => {
    setVisible(next);
    try {
      window.localStorage.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Not persisted, still applied.
    }
  }, []);
  return [visible, change];
}

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

  // ---- keyboard cursor ("active" row) and selection ------------------------------------------
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
  const [focused, setFocused] = useState(false);

  // ---- "N new flows" while not following ---------------------------------------------------
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

  // ---- virtualization ------------------------------------------------------------------------
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    // The sticky header row sits above row 0 inside the scroller.
    paddingStart: ROW_HEIGHT,
    scrollPaddingStart: ROW_HEIGHT,
  });

  const latest = useLatest({ rows, following, onFollowChange, onSelect, activeIndex, virtualizer });

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
  }, [rows, following]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const { following: f, onFollowChange: change } = latest.current;
    if (f && el.scrollTop > ROW_HEIGHT / 2) change(false);
    else if (!f && el.scrollTop <= 0) change(true);
  }, [latest]);

  // Other rows altogether: start at the top.
  useLayoutEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [scrollKey]);

  // Following again (our button, or the page): back to the newest rows.
  useLayoutEffect(() => {
    if (following && scrollRef.current && scrollRef.current.scrollTop !== 0) {
      scrollRef.current.scrollTop = 0;
    }
  }, [following]);

  const resume = useCallback(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    latest.current.onFollowChange(true);
  }, [latest]);

  // The row under the pointer when it went down. While the table follows, the row element under
  // a still pointer is replaced between press and release, and the browser then sends the click to
  // the rows' container, not to a row: the pressed row is the one the person aimed at.
  const pressed = useRef<FlowRow | undefined>(undefined);
  const rowAt = useCallback(
    (target: EventTarget | null): FlowRow | undefined => {
      const rowEl = (target as HTMLElement | null)?.closest?.<HTMLElement>("[data-index]");
      return rowEl ? latest.current.rows[Number(rowEl.dataset.index)] : undefined;
    },
    [latest],
  );
  const onRowPointerDown = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      pressed.current = e.button === 0 ? rowAt(e.target) : undefined;
    },
    [rowAt],
  );
  const onRowClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      const row = pressed.current ?? rowAt(e.target);
      pressed.current = undefined;
      if (!row) return;
      setActiveId(row.id);
      // The clicked row stays where it is: new flows are counted above, not pushed in.
      if (latest.current.following) latest.current.onFollowChange(false);
      latest.current.onSelect(row.id);
    },
    [latest, rowAt],
  );

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
    [latest],
  );

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
        onKeyDown={onKeyDown}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        className="relative flex min-h-0 flex-1 flex-col rounded border border-slate-200 font-mono text-xs outline-none focus-visible:border-sky-500 focus-visible:ring-1 focus-visible:ring-sky-500 dark:border-slate-700"
      >
        <div
          ref={scrollRef}
          role="rowgroup"
          onScroll={onScroll}
          onPointerDown={onRowPointerDown}
          onClick={onRowClick}
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

const TONE_CLASS: Readonly<Record<VerdictTone, string>> = {
  forwarded: "text-emerald-700 dark:text-emerald-400",
  dropped: "font-semibold text-red-700 dark:text-red-400",
  audit: "text-amber-700 dark:text-amber-400",
  redirected: "text-sky-700 dark:text-sky-400",
  error: "font-semibold text-orange-700 dark:text-orange-400",
  other: "text-slate-500 dark:text-slate-400",
};

const DOT_CLASS: Readonly<Record<VerdictTone, string>> = {
  forwarded: "bg-emerald-500",
  dropped: "bg-red-600",
  audit: "bg-amber-500",
  redirected: "bg-sky-500",
  error: "bg-orange-500",
  other: "bg-slate-400",
};

const POLICY_CLASS: Readonly<Record<FlowDisplay["policyTone"], string>> = {
  denied: "text-red-700 dark:text-red-400",
  allowed: "text-emerald-700 dark:text-emerald-400",
  "": "",
};

interface RowProps {
  domId: string;
  row: FlowRow;
  index: number;
  start: number;
  visible: readonly ColumnId[];
  template: string;
  selected: boolean;
  active: boolean;
  policyOf: FlowTableProps["policyOf"];
}

const FlowTableRow = memo(function FlowTableRow({ domId, row, index, start, visible, template, selected, active, policyOf }: RowProps) {
  const d = flowDisplay(row);
  // Hubble's own *_denied_by / *_allowed_by come first; the explainer fills the cell otherwise.
  const explained = policyOf && visible.includes("policy") && !d.policyNames ? policyOf(row) : undefined;
  return (
    <div
      id={domId}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-index={index}
      data-flow-id={row.id}
      data-verdict={d.verdictTone}
      className={`absolute left-0 top-0 grid w-full cursor-pointer items-center border-b border-slate-100 dark:border-slate-800/70 ${
        selected ? "bg-sky-100 dark:bg-sky-900/50" : "hover:bg-slate-50 dark:hover:bg-slate-800/60"
      } ${active ? "outline outline-1 -outline-offset-1 outline-sky-500" : ""}`}
      style={{ height: ROW_HEIGHT, transform: `translateY(${start}px)`, gridTemplateColumns: template }}
    >
      {visible.map((id) => {
        const col = COLUMNS[id];
        if (id === "policy" && explained) {
          return (
            <div key={id} role="gridcell" data-policy-source="explainer" title={explained.title} className={`truncate px-2 ${POLICY_CLASS.denied}`}>
              {explained.text}
            </div>
          );
        }
        const text = col.text(d);
        if (id === "verdict") {
          return (
            <div key={id} role="gridcell" className={`flex items-center gap-1.5 truncate px-2 ${TONE_CLASS[d.verdictTone]}`}>
              {text && <span aria-hidden="true" className={`inline-block h-2 w-2 shrink-0 rounded-full ${DOT_CLASS[d.verdictTone]}`} />}
              <span className="truncate">{text}</span>
            </div>
          );
        }
        return (
          <div
            key={id}
            role="gridcell"
            title={col.title ? col.title(d) || undefined : text || undefined}
            className={`truncate px-2 ${id === "time" ? "tabular-nums text-slate-500 dark:text-slate-400" : ""} ${
              id === "dropReason" && text ? "text-red-700 dark:text-red-400" : ""
            } ${id === "policy" ? POLICY_CLASS[d.policyTone] : ""}`}
          >
            {text}
          </div>
        );
      })}
    </div>
  );
});
