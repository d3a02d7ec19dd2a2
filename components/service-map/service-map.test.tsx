import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { FlowRow } from "@/lib/flow-model";
import { flow, pod, syntheticRows, T0 } from "@/lib/service-map/testing";
import { ServiceMap } from "./service-map";

// The map panel of a 1440×900 window (happy-dom lays nothing out: the panel's size is the one
// input faked here). At the legible zoom it holds 7 × 3 cards, so the map collapses beyond 17.
const PANEL = { width: 1438, height: 347 };
const realRect = HTMLElement.prototype.getBoundingClientRect;
before(() => {
  HTMLElement.prototype.getBoundingClientRect = function () {
    return { x: 0, y: 0, top: 0, left: 0, right: PANEL.width, bottom: PANEL.height, width: PANEL.width, height: PANEL.height, toJSON: () => ({}) } as DOMRect;
  };
});
after(() => {
  HTMLElement.prototype.getBoundingClientRect = realRect;
});
afterEach(() => {
  cleanup();
  localStorage.clear();
});

const cards = () => [...document.querySelectorAll("[data-node-id]")].map((e) => e.getAttribute("data-node-id")!);

function renderMap(rows: readonly FlowRow[], selection: { node?: string; edge?: string } = {}) {
  const calls = { node: [] as (string | undefined)[], edge: [] as (string | undefined)[] };
  const view = render(
    <ServiceMap
      rows={rows}
      grouping="workload"
      selectedNodeId={selection.node}
      selectedEdgeId={selection.edge}
      onSelectNode={(id) => calls.node.push(id)}
      onSelectEdge={(id) => calls.edge.push(id)}
      storageKey="test"
    />,
  );
  return { calls, view };
}

/** A shop of three workloads in two namespaces. */
const SHOP = [
  flow({ id: "1", source: pod("shop", "frontend"), destination: pod("shop", "checkout"), dport: 8080, t: T0 }),
  flow({ id: "2", source: pod("shop", "checkout"), destination: pod("db", "postgres"), dport: 5432, t: T0 + 1 }),
  flow({ id: "3", source: pod("shop", "checkout"), destination: pod("db", "postgres"), dport: 5432, verdict: "DROPPED", t: T0 + 2 }),
];

describe("ServiceMap", () => {
  it("draws one card per workload and an edge per pair, nothing collapsed", async () => {
    renderMap(SHOP);
    await waitFor(() => assert.equal(cards().length, 3));
    assert.deepEqual(cards().sort(), ["wl:db/postgres", "wl:shop/checkout", "wl:shop/frontend"]);
    assert.equal(document.querySelectorAll("[data-edge-id]").length, 2);
    assert.equal(document.querySelectorAll("[data-collapsed-namespace]").length, 0);
    assert.match(screen.getByRole("group", { name: /^Service map:/ }).getAttribute("aria-label")!, /3 nodes, 2 edges$/);
  });

  it("a click selects a node, a second click on it clears the selection, and so does Escape", async () => {
    const { calls, view } = renderMap(SHOP);
    await waitFor(() => assert.equal(cards().length, 3));
    fireEvent.click(document.querySelector('[data-node-id="wl:shop/checkout"]')!);
    assert.deepEqual(calls.node, ["wl:shop/checkout"]);
    // The parent now passes the selection down.
    view.rerender(
      <ServiceMap
        rows={SHOP}
        grouping="workload"
        selectedNodeId="wl:shop/checkout"
        onSelectNode={(id) => calls.node.push(id)}
        onSelectEdge={(id) => calls.edge.push(id)}
        storageKey="test"
      />,
    );
    assert.equal(document.querySelector('[data-node-id="wl:shop/checkout"]')!.getAttribute("aria-pressed"), "true");
    fireEvent.click(document.querySelector('[data-node-id="wl:shop/checkout"]')!);
    assert.deepEqual(calls.node, ["wl:shop/checkout", undefined]);
    fireEvent.keyDown(document.querySelector('[data-node-id="wl:shop/checkout"]')!, { key: "Escape" });
    assert.deepEqual(calls.node, ["wl:shop/checkout", undefined, undefined]);
  });

  it("more workloads than the panel holds legibly collapse into namespaces; a click expands one, its box label collapses it again", async () => {
    // 60 workloads in 10 namespaces: more than the 17 cards a 1440×900 panel holds.
    renderMap(syntheticRows(3000, 60, 10));
    await waitFor(() => assert.ok(document.querySelectorAll("[data-collapsed-namespace]").length > 0));
    const shownCards = cards().length;
    assert.ok(shownCards <= 17, `${shownCards} cards shown`);
    const ns = document.querySelector("[data-collapsed-namespace]")!.getAttribute("data-collapsed-namespace")!;
    assert.equal(cards().filter((id) => id.startsWith(`wl:${ns}/`)).length, 0);

    fireEvent.click(document.querySelector(`[data-collapsed-namespace="${ns}"]`)!.closest("[data-node-id]")!);
    await waitFor(() => assert.ok(cards().some((id) => id.startsWith(`wl:${ns}/`))));
    assert.match(screen.getByRole("button", { name: /^Collapse all|^Expand all/ }).textContent!, /Expand all/);

    fireEvent.click(screen.getByRole("button", { name: `Collapse namespace ${ns}` }));
    await waitFor(() => assert.equal(cards().filter((id) => id.startsWith(`wl:${ns}/`)).length, 0));
  });

  it("positions persist per view, and Reset layout forgets them", async () => {
    renderMap(SHOP);
    await waitFor(() => assert.equal(cards().length, 3));
    cleanup(); // unmounting saves the layout
    const key = Object.keys(localStorage).find((k) => k.includes("map-layout") && k.endsWith(":workload:test"));
    assert.ok(key, `saved under ${Object.keys(localStorage).join(", ")}`);
    const saved = JSON.parse(localStorage.getItem(key)!) as unknown;

    renderMap(SHOP);
    await waitFor(() => assert.equal(cards().length, 3));
    const transforms = Object.fromEntries(cards().map((id) => [id, document.querySelector(`[data-node-id="${id}"]`)!.getAttribute("transform")]));
    assert.ok(Object.values(transforms).every((t) => t && /translate/.test(t)));
    assert.deepEqual(JSON.parse(localStorage.getItem(key)!), saved, "reopening the view restores, not re-places");

    fireEvent.click(screen.getByRole("button", { name: /^Reset layout/ }));
    assert.equal(localStorage.getItem(key), null);
  });
});
