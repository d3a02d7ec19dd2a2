import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "./aggregate";
import { collapseGroupOf, collapseGroups, collapseNamespaces, focusNamespaces, namespaceNodeId, namespacesToCollapse, WORLD_GROUP } from "./collapse";
import { dnsRequest, flow, httpRequest, httpResponse, pod, world } from "./testing";
import type { ServiceMapSnapshot } from "./types";

const frontend = pod("shop", "frontend");
const cart = pod("shop", "cart");
const api = pod("payments", "api");
const ledger = pod("payments", "ledger");
const db = pod("data", "postgres");
const coredns = pod("kube-system", "coredns", { labels: ["k8s:k8s-app=kube-dns", "k8s:io.kubernetes.pod.namespace=kube-system"] });

function snapshot(): ServiceMapSnapshot {
  const m = new ServiceMapModel("workload");
  m.add([
    flow({ source: frontend, destination: cart, dport: 8080 }),
    flow({ source: frontend, destination: cart, dport: 8080, verdict: "DROPPED" }),
    flow({ source: frontend, destination: api, dport: 8080 }),
    flow({ source: frontend, destination: api, dport: 8443, verdict: "DROPPED" }),
    flow({ source: cart, destination: api, dport: 8080, verdict: "AUDIT" }),
    flow({ source: frontend, destination: ledger, dport: 80, l7: httpRequest("GET", "/a") }),
    flow({ source: ledger, destination: frontend, dport: 80, isReply: true, l7: httpResponse("GET", "/a", 503, 40) }),
    flow({ source: cart, destination: ledger, dport: 80, l7: httpRequest("GET", "/b") }),
    flow({ source: ledger, destination: cart, dport: 80, isReply: true, l7: httpResponse("GET", "/b", 200, 9) }),
    flow({ source: api, destination: ledger, dport: 9000 }),
    flow({ source: ledger, destination: db, dport: 5432 }),
    flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP", l7: dnsRequest("cart.shop.svc.cluster.local.") }),
    flow({ source: api, destination: world(["api.stripe.com"]), dport: 443 }),
  ]);
  return m.snapshot();
}

const sum = (s: ServiceMapSnapshot, f: (e: ServiceMapSnapshot["edges"][number]) => number) => s.edges.reduce((a, e) => a + f(e), 0);

describe("collapsing namespaces", () => {
  const full = snapshot();

  it("a collapsed namespace becomes one node; other nodes stay as they are", () => {
    const c = collapseNamespaces(full, new Set(["shop"]));
    const ids = c.nodes.map((n) => n.id);
    assert.ok(ids.includes("ns:shop"));
    assert.ok(!ids.includes("wl:shop/frontend") && !ids.includes("wl:shop/cart"));
    for (const n of full.nodes.filter((n) => n.namespace !== "shop"))
      assert.equal(
        c.nodes.find((x) => x.id === n.id),
        n,
      );
    assert.deepEqual(c.collapsed.namespaces.get("ns:shop"), { namespace: "shop", nodes: 2 });
    const node = c.nodes.find((n) => n.id === "ns:shop")!;
    assert.equal(node.kind, "namespace");
    assert.equal(
      node.flowsOut,
      full.nodes.filter((n) => n.namespace === "shop").reduce((a, n) => a + n.flowsOut, 0),
    );
  });

  it("merged edges sum flows, replies, verdicts, HTTP and DNS counts exactly", () => {
    for (const collapse of [["shop"], ["payments"], ["shop", "payments"], ["shop", "payments", "data", "kube-system"]]) {
      const c = collapseNamespaces(full, new Set(collapse));
      assert.equal(
        sum(c, (e) => e.flows),
        sum(full, (e) => e.flows),
        collapse.join(),
      );
      assert.equal(
        sum(c, (e) => e.replies),
        sum(full, (e) => e.replies),
      );
      for (const k of ["forwarded", "dropped", "audit", "redirected", "error", "other"] as const)
        assert.equal(
          sum(c, (e) => e.verdicts[k]),
          sum(full, (e) => e.verdicts[k]),
          k,
        );
      for (const k of ["requests", "responses", "status4xx", "status5xx"] as const)
        assert.equal(
          sum(c, (e) => e.http?.[k] ?? 0),
          sum(full, (e) => e.http?.[k] ?? 0),
          k,
        );
      assert.equal(
        sum(c, (e) => e.dns?.queries ?? 0),
        sum(full, (e) => e.dns?.queries ?? 0),
      );
    }
  });

  it("edges of a pair merge across ports into one `*` edge; percentiles are the members' maximum", () => {
    const c = collapseNamespaces(full, new Set(["shop", "payments"]));
    const e = c.edges.find((x) => x.id === "ns:shop|ns:payments|*");
    assert.ok(e, c.edges.map((x) => x.id).join(", "));
    assert.equal(e.folded, true);
    assert.equal(e.port, undefined);
    const members = full.edges.filter((x) => x.source.startsWith("wl:shop/") && x.target.startsWith("wl:payments/"));
    assert.equal(c.collapsed.mergedEdges.get(e.id), members.length);
    assert.equal(
      e.flows,
      members.reduce((a, x) => a + x.flows, 0),
    );
    assert.equal(
      e.verdicts.dropped,
      members.reduce((a, x) => a + x.verdicts.dropped, 0),
    );
    assert.equal(e.http?.responses, 2);
    assert.equal(e.http?.status5xx, 1);
    assert.equal(e.http?.errorPercent, 50);
    const p95s = members.map((x) => x.http?.p95Ms).filter((x): x is number => x !== undefined);
    assert.equal(e.http?.p95Ms, Math.max(...p95s));
  });

  it("edges inside a collapsed namespace become a self-loop; edges between expanded nodes are the same objects", () => {
    const c = collapseNamespaces(full, new Set(["shop"]));
    assert.ok(c.edges.some((e) => e.id === "ns:shop|ns:shop|*"));
    const kept = full.edges.filter((e) => !e.source.startsWith("wl:shop/") && !e.target.startsWith("wl:shop/"));
    for (const e of kept)
      assert.equal(
        c.edges.find((x) => x.id === e.id),
        e,
      );
  });

  it("collapsing nothing (or an absent namespace) changes nothing", () => {
    const c = collapseNamespaces(full, new Set(["nowhere"]));
    assert.equal(c.nodes, full.nodes);
    assert.equal(c.edges, full.edges);
  });

  it("the world's nodes (FQDNs, the world entity) collapse into one group node; other entities stay", () => {
    const m = new ServiceMapModel("workload");
    m.add([
      flow({ source: api, destination: world(["api.stripe.com"]), dport: 443 }),
      flow({ source: api, destination: world(["hooks.slack.com"]), dport: 443, verdict: "DROPPED" }),
      flow({ source: cart, destination: world([]), dport: 443 }),
      flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP" }),
    ]);
    const s = m.snapshot();
    const worldNodes = s.nodes.filter((n) => n.kind === "world");
    assert.equal(worldNodes.length, 3, s.nodes.map((n) => n.id).join(", "));
    assert.deepEqual(collapseGroups(s), [...s.namespaces, WORLD_GROUP]);
    const c = collapseNamespaces(s, new Set([WORLD_GROUP]));
    const group = c.nodes.find((n) => n.id === namespaceNodeId(WORLD_GROUP))!;
    assert.ok(group, c.nodes.map((n) => n.id).join(", "));
    assert.equal(group.kind, "namespace");
    assert.equal(group.label, "world");
    assert.deepEqual(c.collapsed.namespaces.get(group.id), { namespace: WORLD_GROUP, nodes: 3 });
    assert.ok(!c.nodes.some((n) => n.kind === "world"), "no world node left");
    assert.ok(
      c.nodes.some((n) => n.namespace === "kube-system"),
      "other nodes stay",
    );
    assert.equal(c.edges.find((e) => e.source === "wl:payments/api" && e.target === group.id)?.verdicts.dropped, 1, "the edges to the world merge, counts summed");
    assert.equal(
      sum(c, (e) => e.flows),
      sum(s, (e) => e.flows),
    );
    assert.equal(collapseGroupOf({ namespace: "", kind: "entity" }), "", "an entity never collapses");
    assert.deepEqual(collapseGroups(full).includes(WORLD_GROUP), true);
    assert.ok(!WORLD_GROUP.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), "not a possible namespace name");
  });

  it("namespace node ids are percent-encoded like other id parts", () => {
    assert.equal(namespaceNodeId("shop"), "ns:shop");
    assert.equal(namespaceNodeId("a|b"), "ns:a%7Cb");
  });
});

describe("which namespaces collapse by default", () => {
  const nodes = (spec: Record<string, number>, loose = 0) => [
    ...Object.entries(spec).flatMap(([ns, n]) => Array.from({ length: n }, () => ({ namespace: ns, kind: "workload" as const }))),
    ...Array.from({ length: loose }, () => ({ namespace: "", kind: "entity" as const })),
  ];
  const cases = [
    { name: "none when the map fits", nodes: nodes({ a: 5, b: 5 }), capacity: 10, keep: [], want: [] },
    { name: "the largest first until it fits", nodes: nodes({ a: 5, b: 8, c: 3 }), capacity: 12, want: ["b"], keep: [] },
    { name: "several when needed", nodes: nodes({ a: 5, b: 8, c: 3 }, 2), capacity: 7, want: ["a", "b"], keep: [] },
    { name: "never a kept namespace", nodes: nodes({ a: 5, b: 8, c: 3 }), capacity: 12, keep: ["b"], want: ["a"] },
    { name: "ties by name", nodes: nodes({ y: 4, x: 4 }), capacity: 6, keep: [], want: ["x"] },
    { name: "a one-node namespace is not worth collapsing", nodes: nodes({ a: 1, b: 1 }, 10), capacity: 3, keep: [], want: [] },
    {
      name: "the world's nodes collapse like a namespace; entities never",
      nodes: [...nodes({ a: 3 }, 2), ...Array.from({ length: 6 }, () => ({ namespace: "", kind: "world" as const }))],
      capacity: 8,
      keep: [],
      want: [WORLD_GROUP],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual([...namespacesToCollapse(c.nodes, c.capacity, new Set(c.keep))].sort(), c.want));
  }
});

describe("the view's focus namespaces are the ones every edge touches", () => {
  const node = (id: string, namespace: string) => ({ id, namespace });
  const nodes = [node("a1", "a"), node("a2", "a"), node("b1", "b"), node("c1", "c"), node("w", "")];
  const cases = [
    {
      name: "a view filtered to one namespace",
      edges: [
        ["a1", "b1"],
        ["c1", "a2"],
        ["a1", "a2"],
        ["a2", "w"],
      ],
      want: ["a"],
    },
    {
      name: "no namespace on every edge",
      edges: [
        ["a1", "b1"],
        ["c1", "w"],
      ],
      want: [],
    },
    { name: "a single edge: both ends", edges: [["a1", "b1"]], want: ["a", "b"] },
    { name: "no edges", edges: [], want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual([...focusNamespaces({ nodes, edges: c.edges.map(([source, target]) => ({ source, target })) } as never)].sort(), c.want));
  }
});
