// What a view's flow stream could not count, in the user's words. Two kinds of gap:
// - lost: flows Hubble itself dropped before they reached the server (its lost events: a node's
//   perf ring or observer queue overflowed, or a reader fell so far behind a node's flow buffer that
//   it was overwritten). The server's map and Drops view count every flow that arrives, so those
//   of their window are short by these. Hubble sends lost events to every stream, whatever its
//   filters, so for a filtered view it is an upper bound.
// - missed: flows the server sent this browser's table but dropped from its queue because the page
//   read too slowly. The map and the Drops view are counted on the server and still hold them.
// Pure.

/** Hubble's lost-event sources (flow.LostEventSource) as the hubble CLI names them, explained. */
const SOURCES: Readonly<Record<string, string>> = {
  PERF_EVENT_RING_BUFFER: "a node's perf ring buffer overflowed",
  OBSERVER_EVENTS_QUEUE: "a node's Hubble observer could not keep up",
  HUBBLE_RING_BUFFER: "a node's flow buffer was overwritten before it was read",
};

/** Lost flows are kept by when they were reported, in buckets of this many ms, for a day at most. */
export const LOST_BUCKET_MS = 10_000;
const MAX_LOST_BUCKETS = 8_640;

export interface StreamGaps {
  /** Flows Hubble reported lost on this view's stream since it opened. */
  readonly lost: number;
  /** The same by lost-event source (hubble's enum names). */
  readonly lostBySource: Readonly<Record<string, number>>;
  /** When the first lost event arrived (ms since the epoch), undefined before any. */
  readonly lostSinceMs: number | undefined;
  /** Lost flows by when they were reported (bucket start, ms), oldest first: what a window holds. */
  readonly lostByTime: readonly { readonly atMs: number; readonly count: number }[];
  /** Flows this browser's table missed because it read too slowly. */
  readonly missed: number;
}

export const NO_GAPS: StreamGaps = { lost: 0, lostBySource: {}, lostSinceMs: undefined, lostByTime: [], missed: 0 };

/** The gaps after one more lost event, reported at `nowMs`. */
export function addLost(g: StreamGaps, source: string, count: number, nowMs: number): StreamGaps {
  if (!(count > 0)) return g;
  const atMs = nowMs - (nowMs % LOST_BUCKET_MS);
  const last = g.lostByTime.at(-1);
  const lostByTime = last?.atMs === atMs ? [...g.lostByTime.slice(0, -1), { atMs, count: last.count + count }] : [...g.lostByTime.slice(-(MAX_LOST_BUCKETS - 1)), { atMs, count }];
  return {
    ...g,
    lost: g.lost + count,
    lostBySource: { ...g.lostBySource, [source]: (g.lostBySource[source] ?? 0) + count },
    lostSinceMs: g.lostSinceMs ?? nowMs,
    lostByTime,
  };
}

/** The gaps after the server said this browser missed `count` flows. */
export function addMissed(g: StreamGaps, count: number): StreamGaps {
  return count > 0 ? { ...g, missed: g.missed + count } : g;
}

/** Flows Hubble reported lost within the last `windowMs` before `nowMs` (to the bucket). */
export function lostWithin(g: StreamGaps, nowMs: number, windowMs: number): number {
  let n = 0;
  for (let i = g.lostByTime.length - 1; i >= 0 && g.lostByTime[i].atMs + LOST_BUCKET_MS > nowMs - windowMs; i--) n += g.lostByTime[i].count;
  return n;
}

/**
 * The notice beside the table (short) and its details (a tooltip); undefined without gaps. Lost
 * flows are those of the map's window (`windowMs` before `nowMs`): a loss that left the window no
 * longer makes its counts short.
 */
export function gapsNotice(
  g: StreamGaps,
  at: { readonly nowMs: number; readonly windowMs: number; readonly timeOf: (ms: number) => string },
): { readonly text: string; readonly details: string; readonly lostInWindow: number } | undefined {
  const short: string[] = [];
  const details: string[] = [];
  const recent = lostWithin(g, at.nowMs, at.windowMs);
  if (recent > 0) {
    short.push(`Hubble lost ${fmt(recent)} flows in the last ${span(at.windowMs)}`);
    details.push(`Hubble lost ${fmt(recent)} flows in the last ${span(at.windowMs)}: the map and the Drops view count only the flows that arrived.`);
  }
  if (g.lost > 0) {
    details.push(`Lost since ${at.timeOf(g.lostSinceMs!)}, when this view's first lost event came: ${fmt(g.lost)} flows`);
    for (const [source, n] of Object.entries(g.lostBySource).sort((a, b) => b[1] - a[1])) {
      details.push(`${source}: ${fmt(n)} (${SOURCES[source] ?? "an unknown source"})`);
    }
    details.push("Hubble reports lost flows to every stream, whatever its filters: some may not have matched this view.");
  }
  if (g.missed > 0) {
    short.push(`${recent > 0 ? "this page" : "This page"} missed ${fmt(g.missed)} flows of the table`);
    details.push(`This page missed ${fmt(g.missed)} flows of the table: it read the stream too slowly. The map and the Drops view, counted on the server, still hold them.`);
  }
  if (short.length === 0) return undefined;
  return { text: short.join("; "), details: details.join("\n"), lostInWindow: recent };
}

function span(ms: number): string {
  if (ms >= 7_200_000) return `${Math.round(ms / 3_600_000)} hours`;
  if (ms >= 3_600_000) return "hour";
  if (ms >= 90_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 60_000) return "minute";
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}
