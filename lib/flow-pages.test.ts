import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowRow } from "./flow-model";
import { emptyFlowQuery } from "./filter-model";
import { firstCursor, LIVE_WINDOW_MS, olderCursor, type PageCursor, pageParams, pageRows, pausedWindow } from "./flow-pages";

const AT = Date.parse("2026-12-04T10:00:00Z");

/** A row with just what paging reads: id, RFC 3339 time with nanoseconds, and ms. */
function row(id: string, ns: bigint): FlowRow {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  const time = `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
  return { id, time, timeMs: ms } as FlowRow;
}

function ns(time: string): bigint {
  const [whole, frac = ""] = time.replace(/Z$/, "").split(".");
  return BigInt(Date.parse(`${whole}Z`)) * 1_000_000n + BigInt(frac.padEnd(9, "0"));
}

/** What /api/flows/history answers for `last=N&since&until` (both inclusive), newest first. */
function serve(all: readonly FlowRow[], params: URLSearchParams): FlowRow[] {
  const since = ns(params.get("since")!);
  const until = ns(params.get("until")!);
  const last = Number(params.get("last"));
  const newest = all
    .filter((r) => ns(r.time) >= since && ns(r.time) <= until)
    .sort((a, b) => (ns(b.time) > ns(a.time) ? 1 : -1))
    .slice(0, last);
  // The browser's buffer orders rows by the millisecond only: within one, any order.
  return newest
    .map((r, i) => ({ r, key: r.timeMs * 1000 + ((i * 7919) % 1000) }))
    .sort((a, b) => b.key - a.key)
    .map((x) => x.r);
}

function pageAll(all: readonly FlowRow[], size: number): FlowRow[][] {
  const q = emptyFlowQuery();
  const window = pausedWindow(q, AT);
  const pages: FlowRow[][] = [];
  let cursor: PageCursor | undefined = firstCursor(window);
  while (cursor && pages.length < 1000) {
    const rows = pageRows(serve(all, pageParams(q, window, cursor, size)), cursor, size);
    pages.push(rows);
    cursor = olderCursor(rows, cursor, size);
  }
  return pages;
}

describe("paging every flow of a paused window", () => {
  it("a live view covers the 5 minutes before the pause; a relative since counts back from the pause", () => {
    assert.deepEqual(pausedWindow(emptyFlowQuery(), AT), { sinceMs: AT - LIVE_WINDOW_MS, untilMs: AT });
    assert.deepEqual(pausedWindow({ ...emptyFlowQuery(), since: "15m" }, AT), { sinceMs: AT - 15 * 60_000, untilMs: AT });
    const abs = pausedWindow({ ...emptyFlowQuery(), since: "2026-12-04T09:00:00Z", until: "2026-12-04T09:30:00Z" }, AT);
    assert.deepEqual(abs, { sinceMs: Date.parse("2026-12-04T09:00:00Z"), untilMs: Date.parse("2026-12-04T09:30:00Z") });
    // An until after the pause is cut at the pause.
    assert.equal(pausedWindow({ ...emptyFlowQuery(), since: "1h", until: "2026-12-04T11:00:00Z" }, AT).untilMs, AT);
  });

  it("asks for the view's filters, the window and the newest page, never the view's own since/until", () => {
    const q = { ...emptyFlowQuery(), namespaces: ["shop"], verdicts: ["DROPPED" as const], since: "5m" };
    const w = pausedWindow(q, AT);
    const p = pageParams(q, w, { until: "2026-12-04T09:59:59.123456789Z", skip: ["a", "b"] }, 100);
    assert.deepEqual(p.getAll("namespace"), ["shop"]);
    assert.deepEqual(p.getAll("verdict"), ["DROPPED"]);
    assert.deepEqual(p.getAll("since"), [new Date(AT - 5 * 60_000).toISOString()]);
    assert.deepEqual(p.getAll("until"), ["2026-12-04T09:59:59.123456789Z"]);
    assert.equal(p.get("last"), "102", "the two already shown at the cursor's time come back and are dropped");
  });

  it("pages reach every flow once, newest first, across timestamps shared by many flows", () => {
    // 2,345 flows in the last minute; runs of up to 7 flows share one nanosecond timestamp, and
    // one run of 12 straddles page boundaries of 10, and one of 25 fills whole pages of 10.
    const all: FlowRow[] = [];
    let t = BigInt(AT - 60_000) * 1_000_000n;
    for (let i = 0; all.length < 2345; i++) {
      const run = i === 100 ? 12 : i === 200 ? 25 : 1 + (i % 7);
      for (let j = 0; j < run; j++) all.push(row(`f${all.length}`, t));
      t += 1_000n + BigInt(i % 3) * 250_000n; // many flows per millisecond, at distinct nanoseconds
    }
    for (const size of [10, 100, 1000]) {
      const pages = pageAll(all, size);
      const seen = pages.flat();
      assert.equal(seen.length, all.length, `page size ${size}: every flow`);
      assert.equal(new Set(seen.map((r) => r.id)).size, all.length, `page size ${size}: none twice`);
      for (let i = 1; i < seen.length; i++) assert.ok(ns(seen[i - 1].time) >= ns(seen[i].time), "newest first");
      assert.ok(
        pages.slice(0, -1).every((p) => p.length === size),
        "every page but the last is full",
      );
    }
  });

  it("a page that is not full has nothing older; an empty window is one empty page", () => {
    assert.equal(olderCursor([row("a", 5n), row("b", 4n)], { until: "x", skip: [] }, 3), undefined);
    assert.deepEqual(pageAll([], 10), [[]]);
  });

  it("flows outside the window never appear", () => {
    const inside = [row("in", BigInt(AT - 1000) * 1_000_000n)];
    const outside = [row("old", BigInt(AT - LIVE_WINDOW_MS - 1) * 1_000_000n), row("new", BigInt(AT + 1) * 1_000_000n)];
    assert.deepEqual(
      pageAll([...inside, ...outside], 10)
        .flat()
        .map((r) => r.id),
      ["in"],
    );
  });
});
