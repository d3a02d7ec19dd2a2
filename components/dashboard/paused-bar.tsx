"use client";

import type { FlowPages } from "./use-flow-pages";
import { FLOW_PAGE_SIZE } from "@/lib/flow-pages";

const barClass =
  "flex flex-wrap items-center gap-2 border-b border-slate-200 bg-amber-50 px-4 py-1 text-xs text-amber-950 dark:border-slate-800 dark:bg-amber-950 dark:text-amber-100";
const buttonClass =
  "rounded border border-amber-400 bg-white px-2 py-0.5 font-medium text-amber-950 hover:bg-amber-100 disabled:cursor-not-allowed disabled:opacity-50 dark:border-amber-700 dark:bg-slate-900 dark:text-amber-100";

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });
const count = (n: number) => n.toLocaleString("en-US");

/**
 * Above the table while paused: what the frozen table holds, and the way to every flow of the
 * window (pages from the relay's buffers), with the page's place and newer/older controls.
 */
export function PausedBar({
  pausedAtMs,
  held,
  sampled,
  pages,
  browsing,
  onBrowse,
}: {
  readonly pausedAtMs: number;
  /** Flows the frozen table holds. */
  readonly held: number;
  /** True when the flow budget left flows out of what the table received. */
  readonly sampled: boolean;
  readonly pages: FlowPages;
  readonly browsing: boolean;
  readonly onBrowse: (browse: boolean) => void;
}) {
  if (!browsing) {
    return (
      <div role="status" data-testid="paused-bar" className={barClass}>
        <span>
          Paused at {clock(pausedAtMs)}: the table holds the {count(held)} flows received
          {sampled ? " (the flow budget left some forwarded flows out)" : ""}.
        </span>
        <button type="button" className={buttonClass} onClick={() => onBrowse(true)}>
          Browse every flow of the window
        </button>
      </div>
    );
  }
  const rows = pages.flows.rows;
  const first = pages.page * FLOW_PAGE_SIZE + 1;
  const place =
    pages.state === "loading"
      ? "loading…"
      : pages.state === "error"
        ? `could not be loaded: ${pages.error}`
        : rows.length === 0
          ? "the relay holds no flows of this window any more"
          : `flows ${count(first)}–${count(first + rows.length - 1)}, ${clock(rows[rows.length - 1].timeMs)} to ${clock(rows[0].timeMs)}${pages.hasOlder ? "" : " (the oldest the relay still holds)"}`;
  return (
    <nav aria-label="Pages of every flow" data-testid="paused-bar" className={barClass}>
      <span role="status" aria-live="polite">
        Every flow of the window up to {clock(pausedAtMs)}, newest first — page {pages.page + 1}: {place}
      </span>
      <button type="button" className={buttonClass} disabled={!pages.hasNewer} onClick={pages.newer}>
        ← Newer
      </button>
      <button type="button" className={buttonClass} disabled={!pages.hasOlder} onClick={pages.older}>
        Older →
      </button>
      <button type="button" className={buttonClass} onClick={() => onBrowse(false)}>
        Back to the received flows
      </button>
    </nav>
  );
}
