import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { WORLD_GROUP } from "@/lib/service-map/collapse";
import type { NodeLock } from "@/lib/service-map/policy-annotations";
import type { ServiceMapNode } from "@/lib/service-map/types";
import { type Emphasis, MapNode } from "./map-node";

afterEach(cleanup);

/** The checkout Deployment in namespace shop, unless told otherwise. */
function nodeOf(change: Partial<ServiceMapNode> = {}): ServiceMapNode {
  return {
    id: "wl:shop/checkout",
    kind: "workload",
    entity: undefined,
    label: "checkout",
    namespace: "shop",
    workloadKind: "Deployment",
    kubeDns: false,
    identities: [12345],
    flowsIn: 12,
    flowsOut: 3,
    httpEndpoints: [],
    httpEndpointsOverflow: 0,
    dnsNames: [],
    dnsNamesOverflow: 0,
    ...change,
  };
}

function renderNode(node: ServiceMapNode, props: { emphasis?: Emphasis; detailed?: boolean; pinned?: boolean; lock?: NodeLock; members?: number } = {}) {
  const calls = { select: [] as string[], hover: [] as (string | undefined)[] };
  render(
    <svg>
      <MapNode
        node={node}
        x={100}
        y={50}
        pinned={props.pinned ?? false}
        emphasis={props.emphasis ?? "normal"}
        detailed={props.detailed ?? false}
        lock={props.lock}
        members={props.members}
        handlers={{ onSelect: (id) => calls.select.push(id), onHover: (id) => calls.hover.push(id) }}
      />
    </svg>,
  );
  const g = screen.getByRole("button");
  /** The card's texts, top to bottom: kind letter, name, subtitle, then any inline lines. */
  const texts = () => [...g.querySelectorAll("text")].map((t) => t.textContent);
  return { calls, g, texts };
}

describe("MapNode", () => {
  it("shows its kind letter, name and where it runs; its accessible name says what it is and its flows", () => {
    const { g, texts } = renderNode(nodeOf());
    assert.deepEqual(texts(), ["W", "checkout", "shop · Deployment"]);
    assert.equal(g.getAttribute("aria-label"), "checkout, workload in namespace shop: 12 flows in, 3 out");
    assert.equal(g.querySelector(":scope > title")!.textContent, "checkout (shop)");
    assert.equal(g.getAttribute("data-node-id"), "wl:shop/checkout");
    assert.equal(g.getAttribute("tabindex"), "0");
  });

  it("the cluster DNS, an identity and a world name each say what they are", () => {
    const dns = renderNode(nodeOf({ id: "wl:kube-system/coredns", label: "coredns", namespace: "kube-system", kubeDns: true }));
    assert.equal(dns.texts()[0], "D");
    assert.match(dns.g.getAttribute("aria-label")!, /^coredns, workload in namespace kube-system, cluster DNS:/);
    cleanup();
    const identity = renderNode(nodeOf({ id: "id:12345", kind: "identity", label: "12345", namespace: "", workloadKind: "" }));
    assert.deepEqual(identity.texts(), ["#", "12345", "cluster-wide · #12345"]);
    assert.equal(identity.g.getAttribute("aria-label"), "12345, identity: 12 flows in, 3 out");
    cleanup();
    const world = renderNode(nodeOf({ id: "world:api.stripe.com", kind: "world", entity: "world", label: "api.stripe.com", namespace: "", workloadKind: "" }));
    assert.deepEqual(world.texts(), ["api.stripe.com", "world · FQDN"], "a globe instead of a letter");
    assert.match(world.g.getAttribute("aria-label")!, /^api\.stripe\.com, outside the cluster:/);
  });

  it("a long name is clipped on the card, whole in its tooltip and accessible name", () => {
    const label = "payment-gateway-worker-v2";
    const { g, texts } = renderNode(nodeOf({ label }));
    assert.equal(texts()[1], "payment-gateway-…");
    assert.equal(g.querySelector(":scope > title")!.textContent, `${label} (shop)`);
    assert.match(g.getAttribute("aria-label")!, new RegExp(`^${label},`));
  });

  it("a click, Enter or Space selects it once; other keys do not; pointer and focus report hovering", () => {
    const { g, calls } = renderNode(nodeOf());
    fireEvent.click(g);
    fireEvent.keyDown(g, { key: "Enter" });
    fireEvent.keyDown(g, { key: " " });
    fireEvent.keyDown(g, { key: "ArrowDown" });
    assert.deepEqual(calls.select, ["wl:shop/checkout", "wl:shop/checkout", "wl:shop/checkout"]);
    fireEvent.pointerEnter(g);
    fireEvent.pointerLeave(g);
    fireEvent.focus(g);
    fireEvent.blur(g);
    assert.deepEqual(calls.hover, ["wl:shop/checkout", undefined, "wl:shop/checkout", undefined]);
  });

  it("selected: pressed, with a thicker sky outline; dimmed: faded; otherwise neither", () => {
    const selected = renderNode(nodeOf(), { emphasis: "selected" });
    assert.equal(selected.g.getAttribute("aria-pressed"), "true");
    const outline = selected.g.querySelector("rect")!;
    assert.equal(outline.getAttribute("stroke-width"), "2");
    assert.match(outline.getAttribute("class")!, /\bstroke-sky-600\b/);
    assert.doesNotMatch(selected.g.getAttribute("class")!, /opacity/);
    cleanup();
    for (const emphasis of ["normal", "related", "dim"] as const) {
      const { g } = renderNode(nodeOf(), { emphasis });
      assert.equal(g.getAttribute("aria-pressed"), "false", emphasis);
      assert.equal(g.querySelector("rect")!.getAttribute("stroke-width"), "1", emphasis);
      assert.equal(/\bopacity-35\b/.test(g.getAttribute("class")!), emphasis === "dim", emphasis);
      cleanup();
    }
  });

  it("a collapsed namespace: says how many nodes it holds and that Enter expands it; expandable, not pressable", () => {
    const { g, texts, calls } = renderNode(nodeOf({ id: "ns:shop", kind: "namespace", label: "shop", workloadKind: "", flowsIn: 40, flowsOut: 7 }), { members: 4 });
    assert.equal(g.getAttribute("aria-label"), "Namespace shop, collapsed: 4 nodes, 40 flows in, 7 out; press Enter to expand");
    assert.equal(g.getAttribute("aria-expanded"), "false");
    assert.equal(g.getAttribute("aria-pressed"), null);
    assert.equal(g.getAttribute("data-collapsed-namespace"), "shop");
    assert.deepEqual(texts(), ["N", "shop", "4 nodes · expand"], "the hint whole, not clipped like flow text");
    assert.equal(g.querySelector(":scope > title")!.textContent, "Namespace shop (4 nodes): click to expand");
    fireEvent.keyDown(g, { key: "Enter" });
    assert.deepEqual(calls.select, ["ns:shop"]);
  });

  it("the world's nodes collapsed into one: named as the world outside the cluster, a globe's letter", () => {
    const { g, texts } = renderNode(nodeOf({ id: "ns:(world)", kind: "namespace", label: "world", namespace: WORLD_GROUP, workloadKind: "", flowsIn: 9, flowsOut: 0 }), {
      members: 12,
    });
    assert.equal(g.getAttribute("aria-label"), "The world outside the cluster, collapsed: 12 nodes, 9 flows in, 0 out; press Enter to expand");
    assert.equal(g.getAttribute("data-collapsed-namespace"), WORLD_GROUP);
    assert.deepEqual(texts(), ["G", "world", "12 nodes · expand"]);
    assert.equal(g.querySelector(":scope > title")!.textContent, "The world outside the cluster (12 nodes): click to expand");
  });

  it("in default deny: its name says which directions, and a lock per direction names the isolating policies", () => {
    const lock: NodeLock = { ingress: [{ kind: "NetworkPolicy", namespace: "shop", name: "default-deny" }], egress: [] };
    const ingress = renderNode(nodeOf(), { lock });
    assert.match(ingress.g.getAttribute("aria-label")!, /: 12 flows in, 3 out; default deny: ingress$/);
    const locks = [...ingress.g.querySelectorAll("[data-lock]")];
    assert.deepEqual(
      locks.map((l) => [l.getAttribute("data-lock"), l.querySelector("title")!.textContent, l.querySelector("text")!.textContent]),
      [["ingress", "ingress default-deny by NetworkPolicy shop/default-deny", "in"]],
    );
    cleanup();
    const both = renderNode(nodeOf(), { lock: { ...lock, egress: [{ kind: "CiliumClusterwideNetworkPolicy", namespace: "", name: "lockdown" }] } });
    assert.match(both.g.getAttribute("aria-label")!, /; default deny: ingress and egress$/);
    assert.deepEqual(
      [...both.g.querySelectorAll("[data-lock]")].map((l) => l.querySelector("title")!.textContent),
      ["ingress default-deny by NetworkPolicy shop/default-deny", "egress default-deny by CiliumClusterwideNetworkPolicy lockdown"],
    );
    cleanup();
    assert.equal(renderNode(nodeOf()).g.querySelectorAll("[data-lock]").length, 0);
  });

  it("zoomed in, a destination lists up to three endpoints and DNS names, the last line counting the rest", () => {
    const endpoint = (path: string) => ({ method: "GET", path, requests: 1, responses: 1, status5xx: 0 });
    const few = nodeOf({ httpEndpoints: [endpoint("/cart")], dnsNames: [{ name: "api.stripe.com", queries: 2, errors: 0 }] });
    assert.deepEqual(renderNode(few, { detailed: true }).texts().slice(3), ["GET /cart", "DNS api.stripe.com"]);
    cleanup();
    assert.deepEqual(renderNode(few, { detailed: false }).texts().slice(3), [], "not zoomed in: no lines");
    cleanup();
    const many = nodeOf({ httpEndpoints: ["/a", "/b", "/c", "/d"].map(endpoint), httpEndpointsOverflow: 0 });
    assert.deepEqual(renderNode(many, { detailed: true }).texts().slice(3), ["GET /a", "GET /b", "+2 more…"]);
    cleanup();
    const overflowing = nodeOf({ httpEndpoints: ["/a", "/b", "/c"].map(endpoint), httpEndpointsOverflow: 9 });
    assert.deepEqual(renderNode(overflowing, { detailed: true }).texts().slice(3), ["GET /a", "GET /b", "+1+ more…"]);
  });

  it("a pinned node shows a pin", () => {
    assert.equal(renderNode(nodeOf(), { pinned: true }).g.querySelector("circle > title")?.textContent, "Pinned");
    cleanup();
    assert.equal(renderNode(nodeOf(), { pinned: false }).g.querySelector("circle > title"), null);
  });

  it("names and paths from flows render as text, never as HTML", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const { g, texts } = renderNode(
      nodeOf({ label: hostile, namespace: hostile, httpEndpoints: [{ method: "GET", path: `/${hostile}`, requests: 1, responses: 1, status5xx: 0 }] }),
      { detailed: true },
    );
    assert.equal(texts()[1], "<img src=x onerr…");
    assert.equal(g.querySelector(":scope > title")!.textContent, `${hostile} (${hostile})`);
    assert.ok(g.getAttribute("aria-label")!.startsWith(`${hostile}, workload in namespace ${hostile}:`));
    assert.equal(texts()[3], "GET /<img src=x onerror=alert…");
    assert.equal(document.querySelector("img"), null);
  });
});
