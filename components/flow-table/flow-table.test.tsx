import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { FlowRow } from "@/lib/flow-model";
import { flow, pod, T0 } from "@/lib/service-map/testing";
import { FlowTable, type FlowTableProps } from "./flow-table";

// happy-dom lays nothing out: the scroller's size is the one input faked here (400 px tall, so
// the virtualizer puts ~14 rows in view plus its overscan).
before(() => {
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 400 });
});
after(() => {
  // Defined on HTMLElement.prototype only: deleting them restores happy-dom's own (Element.prototype).
  delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
});
afterEach(() => {
  cleanup();
  localStorage.clear();
});

/** `n` flows, newest first (ids f-<n-1> … f-0). */
function rowsOf(n: number, from = 0): FlowRow[] {
  const out: FlowRow[] = [];
  for (let i = from + n - 1; i >= from; i--) out.push(flow({ id: `f-${i}`, source: pod("shop", "frontend"), destination: pod("shop", `svc-${i}`), dport: 8080, t: T0 + i }));
  return out;
}

function renderTable(props: Partial<FlowTableProps> & { rows: readonly FlowRow[] }) {
  const calls = { select: [] as string[], follow: [] as boolean[] };
  const all: FlowTableProps = {
    following: true,
    onSelect: (id) => calls.select.push(id),
    onFollowChange: (f) => calls.follow.push(f),
    ...props,
  };
  const view = render(<FlowTable {...all} />);
  return { calls, rerender: (p: Partial<FlowTableProps>) => view.rerender(<FlowTable {...all} {...p} />) };
}

const shownIds = () => [...document.querySelectorAll("[data-flow-id]")].map((e) => e.getAttribute("data-flow-id"));

describe("FlowTable", () => {
  it("shows the newest rows first, only those in view, and counts them all", () => {
    renderTable({ rows: rowsOf(1000) });
    const grid = screen.getByRole("grid", { name: "Flows" });
    assert.equal(grid.getAttribute("aria-rowcount"), "1001");
    assert.match(screen.getByText(/flows$/).textContent!, /^1,000 flows/);
    const ids = shownIds();
    assert.equal(ids[0], "f-999");
    assert.ok(ids.length > 5 && ids.length < 100, `${ids.length} rows in the DOM`);
  });

  it("a click selects its row and stops following, so the row stays where it is", () => {
    const { calls } = renderTable({ rows: rowsOf(50) });
    const row = document.querySelector('[data-flow-id="f-47"]')!;
    fireEvent.pointerDown(row, { button: 0 });
    fireEvent.pointerUp(row, { button: 0 });
    fireEvent.click(row, { detail: 1 });
    assert.deepEqual(calls.select, ["f-47"]);
    assert.deepEqual(calls.follow, [false]);
  });

  it("the press decides when the row under the pointer was replaced before the release", () => {
    const { calls } = renderTable({ rows: rowsOf(50) });
    fireEvent.pointerDown(document.querySelector('[data-flow-id="f-40"]')!, { button: 0 });
    // Released over the row that took its place; the click lands on the rows' container.
    fireEvent.pointerUp(document.querySelector('[data-flow-id="f-41"]')!, { button: 0 });
    fireEvent.click(screen.getAllByRole("rowgroup")[0], { detail: 1 });
    assert.deepEqual(calls.select, ["f-40"]);
  });

  it("the press decides when new flows pushed the pressed row out of the DOM (the browser then sends no click)", () => {
    const first = rowsOf(50);
    const { calls, rerender } = renderTable({ rows: first });
    fireEvent.pointerDown(document.querySelector('[data-flow-id="f-45"]')!, { button: 0 });
    rerender({ rows: [...rowsOf(200, 50), ...first] });
    assert.equal(document.querySelector('[data-flow-id="f-45"]'), null, "the pressed row left the rendered range");
    fireEvent.pointerUp(document.querySelector('[data-index="5"]')!, { button: 0 });
    assert.deepEqual(calls.select, ["f-45"]);
  });

  it("a press released outside the rows selects nothing, then or at a later release", () => {
    const { calls } = renderTable({ rows: rowsOf(50) });
    fireEvent.pointerDown(document.querySelector('[data-flow-id="f-45"]')!, { button: 0 });
    fireEvent.pointerUp(document.body, { button: 0 });
    // A press that began outside the rows, released over one.
    fireEvent.pointerUp(document.querySelector('[data-flow-id="f-44"]')!, { button: 0 });
    fireEvent.click(document.querySelector('[data-flow-id="f-44"]')!, { detail: 1 });
    assert.deepEqual(calls.select, []);
  });

  it("a click without a pointer (keyboard activation, assistive technology) selects the row it names", () => {
    const { calls } = renderTable({ rows: rowsOf(50) });
    fireEvent.click(document.querySelector('[data-flow-id="f-42"]')!, { detail: 0 });
    assert.deepEqual(calls.select, ["f-42"]);
  });

  it("the keyboard moves a cursor (arrows, End, Home) and Enter selects the row under it", () => {
    const { calls } = renderTable({ rows: rowsOf(30) });
    const grid = screen.getByRole("grid");
    fireEvent.focus(grid);
    fireEvent.keyDown(grid, { key: "ArrowDown" });
    fireEvent.keyDown(grid, { key: "ArrowDown" });
    const active = document.getElementById(grid.getAttribute("aria-activedescendant")!);
    assert.equal(active?.getAttribute("data-flow-id"), "f-28");
    fireEvent.keyDown(grid, { key: "Enter" });
    fireEvent.keyDown(grid, { key: "Home" });
    fireEvent.keyDown(grid, { key: "Enter" });
    assert.deepEqual(calls.select, ["f-28", "f-29"]);
  });

  it("while not following, new rows are counted in a button that follows again", () => {
    const first = rowsOf(20);
    const { calls, rerender } = renderTable({ rows: first, following: false });
    assert.equal(screen.queryByRole("button", { name: /new flow/ }), null);
    rerender({ rows: [...rowsOf(3, 20), ...first], following: false });
    fireEvent.click(screen.getByRole("button", { name: "3 new flows" }));
    assert.deepEqual(calls.follow, [true]);
  });

  it("no rows: the empty message, no row", () => {
    renderTable({ rows: [], emptyMessage: "Nothing yet." });
    screen.getByText("Nothing yet.");
    assert.deepEqual(shownIds(), []);
  });

  it("a row's text is text: markup in a flow is shown, never parsed", () => {
    const hostile = flow({ id: "h", source: pod("shop", "<img src=x onerror=alert(1)>"), destination: pod("shop", "db"), dport: 1, t: T0 });
    renderTable({ rows: [hostile] });
    assert.equal(document.querySelector("img"), null);
    assert.ok(document.querySelector('[data-flow-id="h"]')!.textContent!.includes("<img"));
  });
});
