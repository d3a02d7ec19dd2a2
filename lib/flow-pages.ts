// Paging through every flow of a paused view, newest first, from /api/flows/history: the flow
// stream is sampled at high rates, the relay's buffers are not. Pure: the cursor arithmetic and the
// request of each page; the browser hook (components/dashboard/use-flow-pages.ts) does the fetching.

import type { FlowQuery } from "./filter-model";
import { flowQueryToParams } from "./filter-model";
import type { FlowRow } from "./flow-model";
import { parseHubbleTime, parseHubbleTimestamp } from "./time";
import { timestampToNs } from "./timestamp";

/** The window of a live view without `since`: the server's map and Drops view cover the last 5 minutes. */
export const LIVE_WINDOW_MS = 5 * 60_000;

/** Flows per page: a screenful many times over, and a small fraction of the browser's buffer. */
export const FLOW_PAGE_SIZE = 1000;

/** The time range a paused view covers, in ms since the epoch (both ends inclusive). */
export interface PausedWindow {
  readonly sinceMs: number;
  readonly untilMs: number;
}

/**
 * What the view showed when it was paused at `pausedAtMs`: live views the last 5 minutes, a
 * relative `since` counted back from the pause, an absolute window as it is (cut at the pause).
 */
export function pausedWindow(query: FlowQuery, pausedAtMs: number): PausedWindow {
  const at = new Date(pausedAtMs);
  const sinceMs = query.since ? parseHubbleTime(query.since, at).getTime() : pausedAtMs - LIVE_WINDOW_MS;
  const untilMs = query.until ? Math.min(parseHubbleTime(query.until, at).getTime(), pausedAtMs) : pausedAtMs;
  return { sinceMs: Math.min(sinceMs, untilMs), untilMs };
}

/**
 * Where a page ends: `until` is the newest flow time it may hold (an RFC 3339 time with the flow's
 * own nanoseconds, inclusive) and `skip` the ids already shown at exactly that time, so paging on
 * from a page's oldest flow neither repeats nor skips a flow that shares its timestamp.
 */
export interface PageCursor {
  readonly until: string;
  readonly skip: readonly string[];
}

export function firstCursor(window: PausedWindow): PageCursor {
  return { until: new Date(window.untilMs).toISOString(), skip: [] };
}

/** The /api/flows/history parameters of one page: the view's filters, the newest `size` flows up to the cursor. */
export function pageParams(query: FlowQuery, window: PausedWindow, cursor: PageCursor, size = FLOW_PAGE_SIZE): URLSearchParams {
  const params = flowQueryToParams({ ...query, since: undefined, until: undefined });
  params.set("since", new Date(window.sinceMs).toISOString());
  params.set("until", cursor.until);
  // Flows at the cursor's exact time that were shown already come back too: ask for that many more.
  params.set("last", String(size + cursor.skip.length));
  return params;
}

/** A row's time to the nanosecond (rows sort by the millisecond; paging needs the flow's own time). */
function rowNs(row: FlowRow): bigint {
  try {
    return timestampToNs(parseHubbleTimestamp(row.time, new Date(row.timeMs)));
  } catch {
    return BigInt(row.timeMs) * 1_000_000n;
  }
}

/**
 * The rows of a page without those the cursor says were shown, newest first to the nanosecond,
 * cut to the page size.
 */
export function pageRows(rows: readonly FlowRow[], cursor: PageCursor, size = FLOW_PAGE_SIZE): FlowRow[] {
  const skip = new Set(cursor.skip);
  const kept = rows.filter((r) => !skip.has(r.id)).map((r) => ({ r, ns: rowNs(r) }));
  kept.sort((a, b) => (a.ns < b.ns ? 1 : a.ns > b.ns ? -1 : 0));
  return kept.slice(0, size).map((k) => k.r);
}

/**
 * The cursor of the page after `rows` (from pageRows, read at `cursor`), or undefined when `rows`
 * did not fill a page: then nothing older is left in the window. When the whole page shares the
 * cursor's own time, the flows skipped at that time so far stay skipped.
 */
export function olderCursor(rows: readonly FlowRow[], cursor: PageCursor, size = FLOW_PAGE_SIZE): PageCursor | undefined {
  if (rows.length < size) return undefined;
  const oldest = rows[rows.length - 1];
  const oldestNs = rowNs(oldest);
  const atOldest = rows.filter((r) => rowNs(r) === oldestNs).map((r) => r.id);
  const sameAsCursor = (() => {
    try {
      return timestampToNs(parseHubbleTimestamp(cursor.until, new Date(oldest.timeMs))) === oldestNs;
    } catch {
      return false;
    }
  })();
  return { until: oldest.time, skip: sameAsCursor ? [...cursor.skip, ...atOldest] : atOldest };
}
