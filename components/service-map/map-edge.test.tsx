import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import type { EdgeHttpStats, ServiceMapEdge, VerdictCounts } from "@/lib/service-map/types";
import { EdgeLabel, edgeLabelText, MapEdge } from "./map-edge";
import type { Emphasis } from "./map-node";

afterEach(cleanup);

const NO_VERDICTS: VerdictCounts = { forwarded: 0, dropped: 0, audit: 0, redirected: 0, error: 0, other: 0 };

/** An edge frontend → checkout on 8080/TCP with `flows` forwarded flows, unless told otherwise. */
function edgeOf(change: Partial<Omit<ServiceMapEdge, "verdicts">> & { verdicts?: Partial<VerdictCounts> } = {}): ServiceMapEdge {
  const flows = change.flows ?? 1000;
  const verdicts = { ...NO_VERDICTS, ...change.verdicts };
  const counted = verdicts.dropped + verdicts.audit + verdicts.error + verdicts.redirected + verdicts.other;
  return {
    id: "wl:shop/frontend|wl:shop/checkout|8080/TCP",
    source: "wl:shop/frontend",
    target: "wl:shop/checkout",
    port: 8080,
    protocol: "TCP",
    folded: false,
    replies: 0,
    encrypted: 0,
    authenticated: 0,
    http: undefined,
    dns: undefined,
    lastSeenMs: 0,
    mix: { dominant: "forwarded", mixed: false },
    ...change,
    flows,
    verdicts: { ...verdicts, forwarded: change.verdicts?.forwarded ?? flows - counted },
  };
}

function http(responses: number, status5xx: number): EdgeHttpStats {
  return { requests: responses, responses, status4xx: 0, status5xx, errorPercent: (status5xx / responses) * 100, p50Ms: 12, p95Ms: 80 };
}

const svg = (children: ReactNode) => <svg>{children}</svg>;

function renderEdge(
  edge: ServiceMapEdge,
  props: { emphasis?: Emphasis; focusable?: boolean; merged?: number; dropText?: string; sourceLabel?: string; targetLabel?: string } = {},
) {
  const calls = { select: [] as string[], hover: [] as (string | undefined)[] };
  render(
    svg(
      <MapEdge
        edge={edge}
        a={{ x: 0, y: 0 }}
        b={{ x: 200, y: 100 }}
        bend={0}
        emphasis={props.emphasis ?? "normal"}
        focusable={props.focusable ?? true}
        merged={props.merged}
        sourceLabel={props.sourceLabel ?? "frontend"}
        targetLabel={props.targetLabel ?? "checkout"}
        dropText={props.dropText ?? ""}
        markerPrefix="map1"
        handlers={{ onSelect: (id) => calls.select.push(id), onHover: (id) => calls.hover.push(id) }}
      />,
    ),
  );
  const g = screen.getByRole("button");
  /** The visible line (the other path is the wide transparent one that takes the pointer). */
  const line = g.querySelector("path:not([stroke=transparent])")!;
  const marks = () => [...g.querySelectorAll("[data-mark]")].map((m) => m.getAttribute("data-mark"));
  return { calls, g, line, marks };
}

describe("MapEdge", () => {
  it("its colour says what share of its flows was dropped, or of its HTTP responses was 5xx; dashed when partly dropped", () => {
    const cases: { what: string; edge: ServiceMapEdge; health: string; stroke: string; dash: string | null }[] = [
      { what: "all forwarded", edge: edgeOf(), health: "healthy", stroke: "stroke-slate-400", dash: null },
      { what: "600 of 1,000 dropped", edge: edgeOf({ verdicts: { dropped: 600 } }), health: "dropped", stroke: "stroke-red-600", dash: null },
      { what: "100 of 1,000 dropped", edge: edgeOf({ verdicts: { dropped: 100 } }), health: "partly-dropped", stroke: "stroke-red-500", dash: "6 4" },
      { what: "10 of 100 responses 5xx", edge: edgeOf({ http: http(100, 10) }), health: "http-errors", stroke: "stroke-orange-500", dash: null },
      { what: "most flows errors", edge: edgeOf({ verdicts: { error: 700 } }), health: "error", stroke: "stroke-fuchsia-500", dash: null },
      { what: "most flows audited", edge: edgeOf({ verdicts: { audit: 900 } }), health: "audit", stroke: "stroke-amber-500", dash: null },
    ];
    for (const c of cases) {
      const { g, line } = renderEdge(c.edge);
      assert.equal(g.getAttribute("data-health"), c.health, c.what);
      assert.ok(line.getAttribute("class")!.split(" ").includes(c.stroke), `${c.what}: ${line.getAttribute("class")}`);
      assert.equal(line.getAttribute("stroke-dasharray"), c.dash, c.what);
      assert.equal(line.getAttribute("marker-end"), `url(#map1-arrow-${c.health})`, `${c.what}: the arrowhead matches`);
      cleanup();
    }
  });

  it("a trace of drops or 5xx is a dot on an edge that keeps its colour; 5xx on a dropped edge still get their dot", () => {
    const oneDrop = renderEdge(edgeOf({ verdicts: { dropped: 1 } }));
    assert.equal(oneDrop.g.getAttribute("data-health"), "healthy");
    assert.deepEqual(oneDrop.marks(), ["drops"]);
    cleanup();
    const few5xx = renderEdge(edgeOf({ http: http(200, 2) }));
    assert.equal(few5xx.g.getAttribute("data-health"), "healthy");
    assert.deepEqual(few5xx.marks(), ["http-errors"]);
    cleanup();
    const droppedWith5xx = renderEdge(edgeOf({ verdicts: { dropped: 600 }, http: http(100, 50) }));
    assert.equal(droppedWith5xx.g.getAttribute("data-health"), "dropped");
    assert.deepEqual(droppedWith5xx.marks(), ["http-errors"]);
    cleanup();
    assert.deepEqual(renderEdge(edgeOf()).marks(), [], "a healthy edge has no marks");
  });

  it("its accessible name gives the pair, the port, the counts and shares in numbers, the dropping policy and latency", () => {
    renderEdge(edgeOf({ verdicts: { dropped: 600 }, http: http(200, 6) }), { dropText: "dropped by shop/default-deny" });
    assert.ok(
      screen.getByRole("button", {
        name: "frontend to checkout, 8080/TCP, 1,000 flows, mostly dropped: 600 of 1,000 flows dropped (60%), 3.0% HTTP 5xx (6 of 200 responses), p50 12ms, p95 80ms, dropped by shop/default-deny",
      }),
    );
    assert.equal(screen.getByRole("button").querySelector("title")!.textContent, "dropped by shop/default-deny");
  });

  it("a padlock marks flows seen encrypted between nodes and a shield mutually authenticated ones, each with a tooltip in numbers, both in the name", () => {
    const { g, marks } = renderEdge(edgeOf({ flows: 400, encrypted: 120, authenticated: 12 }));
    assert.deepEqual(marks(), ["encrypted", "authenticated"]);
    assert.equal(g.querySelector('[data-mark="encrypted"] > title')!.textContent, "encrypted between nodes (WireGuard or IPsec): 120 of 400 flows (30%)");
    assert.equal(g.querySelector('[data-mark="authenticated"] > title')!.textContent, "mutually authenticated (SPIRE): 12 policy verdicts required and passed it");
    assert.ok(
      g
        .getAttribute("aria-label")!
        .endsWith(", encrypted between nodes (WireGuard or IPsec): 120 of 400 flows (30%); mutually authenticated (SPIRE): 12 policy verdicts required and passed it"),
      g.getAttribute("aria-label")!,
    );
    cleanup();
    assert.deepEqual(renderEdge(edgeOf({ flows: 400, encrypted: 400 })).marks(), ["encrypted"]);
    cleanup();
    assert.deepEqual(renderEdge(edgeOf({ flows: 400, authenticated: 1 })).marks(), ["authenticated"]);
    cleanup();
    const plain = renderEdge(edgeOf({ flows: 400 }));
    assert.deepEqual(plain.marks(), []);
    assert.doesNotMatch(plain.g.getAttribute("aria-label")!, /encrypted|authenticated/);
  });

  it("a click, Enter or Space selects it once; other keys do not; pointer and focus report hovering", () => {
    const edge = edgeOf();
    const { g, calls } = renderEdge(edge);
    fireEvent.click(g);
    fireEvent.keyDown(g, { key: "Enter" });
    fireEvent.keyDown(g, { key: " " });
    fireEvent.keyDown(g, { key: "a" });
    assert.deepEqual(calls.select, [edge.id, edge.id, edge.id]);
    fireEvent.pointerEnter(g);
    fireEvent.pointerLeave(g);
    fireEvent.focus(g);
    fireEvent.blur(g);
    assert.deepEqual(calls.hover, [edge.id, undefined, edge.id, undefined]);
  });

  it("selected: pressed and drawn thicker; dimmed: faded; only focusable edges are in the tab order", () => {
    const selected = renderEdge(edgeOf({ flows: 1 }), { emphasis: "selected" });
    assert.equal(selected.g.getAttribute("aria-pressed"), "true");
    assert.equal(selected.line.getAttribute("stroke-width"), "3");
    assert.equal(selected.g.getAttribute("tabindex"), "0");
    cleanup();
    const normal = renderEdge(edgeOf({ flows: 1 }), { focusable: false });
    assert.equal(normal.g.getAttribute("aria-pressed"), "false");
    assert.ok(Number(normal.line.getAttribute("stroke-width")) < 3);
    assert.equal(normal.g.getAttribute("tabindex"), null);
    assert.doesNotMatch(normal.g.getAttribute("class")!, /opacity/);
    cleanup();
    assert.match(renderEdge(edgeOf(), { emphasis: "dim" }).g.getAttribute("class")!, /\bopacity-15\b/);
  });

  it("an edge of collapsed namespaces says how many it sums and that Enter expands, and is not a selectable edge", () => {
    const { g } = renderEdge(edgeOf(), { merged: 7 });
    assert.match(g.getAttribute("aria-label")!, /; sums 7 edges, press Enter to expand$/);
    assert.equal(g.getAttribute("data-edge-id"), null);
    assert.equal(g.getAttribute("data-merged-edge-id"), edgeOf().id);
  });

  it("names from flows render as text, in its name, its tooltip and its label, never as HTML", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const edge = edgeOf({ verdicts: { dropped: 10 } });
    renderEdge(edge, { sourceLabel: hostile, dropText: `dropped by ${hostile}` });
    const g = screen.getByRole("button");
    assert.ok(g.getAttribute("aria-label")!.startsWith(`${hostile} to checkout`));
    assert.equal(g.querySelector("title")!.textContent, `dropped by ${hostile}`);
    cleanup();
    const text = edgeLabelText(edge, 10_000, `dropped by ${hostile}`);
    const { container } = render(svg(<EdgeLabel id={edge.id} text={text} at={{ x: 10, y: 10 }} />));
    assert.equal(container.querySelector("text")!.textContent, `8080/TCP · 100/s · 10 dropped (1.0%) · dropped by ${hostile}`);
    assert.equal(document.querySelector("img"), null);
  });
});
