import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { toFlowRow } from "@/lib/flow-model";
import { FLOW_PAGE_SIZE } from "@/lib/flow-pages";
import { PausedBar } from "./paused-bar";
import type { FlowPages } from "./use-flow-pages";

afterEach(cleanup);

const PAUSED_AT = Date.UTC(2024, 0, 1, 12, 0, 0);

function pagesOf(change: Partial<FlowPages> & { times?: number[] } = {}) {
  const moves = { older: 0, newer: 0 };
  const rows = (change.times ?? []).map((ms, i) => toFlowRow({ time: new Date(ms).toISOString(), uuid: `u${i}`, verdict: "FORWARDED" }));
  const pages: FlowPages = {
    state: "ready",
    page: 0,
    hasOlder: false,
    hasNewer: false,
    older: () => moves.older++,
    newer: () => moves.newer++,
    ...change,
    flows: { rows, raw: new Map(), appended: rows.length, evicted: 0 },
  };
  return { pages, moves };
}

function renderBar(props: { browsing: boolean; pages?: FlowPages; held?: number; sampled?: boolean }) {
  const browse: boolean[] = [];
  render(
    <PausedBar
      pausedAtMs={PAUSED_AT}
      held={props.held ?? 0}
      sampled={props.sampled ?? false}
      pages={props.pages ?? pagesOf().pages}
      browsing={props.browsing}
      onBrowse={(b) => browse.push(b)}
    />,
  );
  return { browse, bar: screen.getByTestId("paused-bar") };
}

describe("PausedBar", () => {
  it("while paused: how many flows the frozen table holds, and whether the budget left some out", () => {
    const { bar, browse } = renderBar({ browsing: false, held: 12345, sampled: true });
    assert.match(bar.textContent!, /the table holds the 12,345 flows received \(the flow budget left some forwarded flows out\)/);
    fireEvent.click(screen.getByRole("button", { name: "Browse every flow of the window" }));
    assert.deepEqual(browse, [true]);
  });

  it("without sampling it does not claim flows were left out", () => {
    const { bar } = renderBar({ browsing: false, held: 3, sampled: false });
    assert.doesNotMatch(bar.textContent!, /left some/);
  });

  it("browsing: the page's place counts from the page's first flow; the newest page has no Newer", () => {
    const { pages, moves } = pagesOf({ page: 1, hasOlder: true, hasNewer: true, times: [PAUSED_AT - 1000, PAUSED_AT - 2000, PAUSED_AT - 3000] });
    renderBar({ browsing: true, pages });
    const status = screen.getByRole("status").textContent!;
    const n = (k: number) => (FLOW_PAGE_SIZE + k).toLocaleString("en-US");
    assert.ok(status.includes(`page 2: flows ${n(1)}–${n(3)}, `), status);
    assert.doesNotMatch(status, /oldest/);
    fireEvent.click(screen.getByRole("button", { name: "Older →" }));
    fireEvent.click(screen.getByRole("button", { name: "← Newer" }));
    assert.deepEqual(moves, { older: 1, newer: 1 });
  });

  it("the last page says it is the oldest the relay holds, and Older is off", () => {
    const { pages } = pagesOf({ times: [PAUSED_AT - 1000] });
    renderBar({ browsing: true, pages });
    assert.match(screen.getByRole("status").textContent!, /page 1: flows 1–1, .*\(the oldest the relay still holds\)/);
    assert.equal((screen.getByRole("button", { name: "Older →" }) as HTMLButtonElement).disabled, true);
    assert.equal((screen.getByRole("button", { name: "← Newer" }) as HTMLButtonElement).disabled, true);
  });

  it("says when the page is loading, failed, or the relay holds nothing of the window any more", () => {
    renderBar({ browsing: true, pages: pagesOf({ state: "loading" }).pages });
    assert.match(screen.getByRole("status").textContent!, /loading…/);
    cleanup();
    renderBar({ browsing: true, pages: pagesOf({ state: "error", error: "relay unavailable" }).pages });
    assert.match(screen.getByRole("status").textContent!, /could not be loaded: relay unavailable/);
    cleanup();
    renderBar({ browsing: true, pages: pagesOf().pages });
    assert.match(screen.getByRole("status").textContent!, /the relay holds no flows of this window any more/);
  });

  it("Back returns to the received flows", () => {
    const { browse } = renderBar({ browsing: true });
    fireEvent.click(screen.getByRole("button", { name: "Back to the received flows" }));
    assert.deepEqual(browse, [false]);
  });
});
