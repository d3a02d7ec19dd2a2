import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "./aggregate";
import { edgeFlowsPerSecond } from "./aggregate-snapshot";
import { endpointPath } from "./http-endpoints";
import { dnsRequest, dnsResponse, entity, flow, httpRequest, httpResponse, pod, syntheticRows, T0, world } from "./testing";
import type { ServiceMapSnapshot } from "./types";

const frontend = pod("shop", "frontend");
const checkout = pod("shop", "checkout");
const coredns = pod("kube-system", "coredns", { labels: ["k8s:k8s-app=kube-dns", "k8s:io.kubernetes.pod.namespace=kube-system"] });

function snap(rows: Parameters<ServiceMapModel["add"]>[0], grouping: ConstructorParameters<typeof ServiceMapModel>[0] = "workload"): ServiceMapSnapshot {
  const m = new ServiceMapModel(grouping);
  m.add(rows);
  return m.snapshot();
}

const ids = (s: ServiceMapSnapshot) => s.nodes.map((n) => n.id);
const edge = (s: ServiceMapSnapshot, id: string) => {
  const e = s.edges.find((x) => x.id === id);
  assert.ok(e, `edge ${id} in ${s.edges.map((x) => x.id).join(", ")}`);
  return e;
};

describe("node identity per grouping key", () => {
  const noWorkload = pod("shop", "", { workload: "", labels: ["k8s:app.kubernetes.io/name=cart"], identity: 4242 });
  const bare = pod("shop", "", { pod: "", workload: "", labels: ["k8s:io.kubernetes.pod.namespace=shop"], identity: 777 });
  // A pod known only by name, labels and identity (flows before Cilium 1.12 carry no workloads).
  const named = pod("kube-system", "", { pod: "node-local-dns-88zrp", workload: "", labels: ["k8s:k8s-app=node-local-dns"], identity: 1563 });
  const cases = [
    { grouping: "workload", ep: frontend, id: "wl:shop/frontend", kind: "workload", label: "frontend" },
    { grouping: "workload", ep: noWorkload, id: "app:shop/cart", kind: "app", label: "cart" },
    { grouping: "workload", ep: bare, id: "id:777", kind: "identity", label: "identity 777" },
    { grouping: "workload", ep: named, id: "wl:kube-system/node-local-dns", kind: "workload", label: "node-local-dns" },
    { grouping: "identity", ep: named, id: "id:1563", kind: "identity", label: "node-local-dns" },
    { grouping: "app", ep: frontend, id: "app:shop/frontend", kind: "app", label: "frontend" },
    { grouping: "app", ep: pod("shop", "api", { labels: [] }), id: "wl:shop/api", kind: "workload", label: "api" },
    { grouping: "identity", ep: frontend, id: `id:${frontend.identity}`, kind: "identity", label: "frontend" },
    {
      grouping: "workload",
      ep: pod("", "", { workload: "", labels: ["k8s:app=reviews", "k8s:io.kubernetes.pod.namespace=bookinfo"] }),
      id: "app:bookinfo/reviews",
      kind: "app",
      label: "reviews",
    },
  ] as const;
  for (const c of cases) {
    it(`${c.grouping}: ${c.id}`, () => {
      const s = snap([flow({ source: c.ep, destination: entity("host"), dport: 80 })], c.grouping);
      const n = s.nodes.find((x) => x.id === c.id);
      assert.ok(n, ids(s).join(","));
      assert.equal(n.kind, c.kind);
      assert.equal(n.label, c.label);
    });
  }

  it("ids of hostile names are percent-encoded, so separators stay unambiguous", () => {
    const evil = pod("shop", "a|b/<script>", {});
    const s = snap([flow({ source: evil, destination: checkout, dport: 80 })]);
    assert.ok(ids(s).includes("wl:shop/a%7Cb%2F%3Cscript%3E"));
    assert.equal(s.nodes.find((n) => n.id.startsWith("wl:shop/a"))?.label, "a|b/<script>");
  });

  it("reserved entities are their own nodes in every grouping", () => {
    for (const grouping of ["workload", "app", "identity"] as const) {
      const s = snap(
        [
          flow({ source: entity("host"), destination: frontend, dport: 8080 }),
          flow({ source: entity("remote-node"), destination: frontend, dport: 8080 }),
          flow({ source: frontend, destination: entity("kube-apiserver"), dport: 443 }),
        ],
        grouping,
      );
      for (const id of ["entity:host", "entity:remote-node", "entity:kube-apiserver"]) assert.ok(ids(s).includes(id), `${grouping} ${id}`);
      assert.equal(s.nodes.find((n) => n.id === "entity:host")?.namespace, "");
    }
  });

  it("world is one node per FQDN where names are known, else one world node", () => {
    const s = snap([
      flow({ source: frontend, destination: world(["api.stripe.com."]), dport: 443 }),
      flow({ source: frontend, destination: world(["www.example.org", "example.org"]), dport: 443 }),
      flow({ source: frontend, destination: world(["API.Stripe.com"]), dport: 443 }),
      flow({ source: frontend, destination: world([]), dport: 443 }),
      flow({ source: world([]), destination: frontend, dport: 80 }),
    ]);
    assert.deepEqual(
      ids(s).filter((id) => id.includes("world")),
      ["entity:world", "world:api.stripe.com", "world:example.org"],
    );
    assert.equal(s.nodes.find((n) => n.id === "world:api.stripe.com")?.kind, "world");
    assert.equal(edge(s, "wl:shop/frontend|world:api.stripe.com|443/TCP").flows, 2);
  });

  it("kube-dns stays a workload node, flagged", () => {
    const s = snap([flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP" })]);
    const n = s.nodes.find((x) => x.id === "wl:kube-system/coredns");
    assert.equal(n?.kind, "workload");
    assert.equal(n?.kubeDns, true);
    assert.equal(s.nodes.find((x) => x.id === "wl:shop/frontend")?.kubeDns, false);
  });

  it("namespaces lists the namespaces of the nodes, sorted, without entities", () => {
    const s = snap([flow({ source: frontend, destination: coredns, dport: 53 }), flow({ source: entity("host"), destination: frontend, dport: 80 })]);
    assert.deepEqual(s.namespaces, ["kube-system", "shop"]);
  });
});

describe("edges", () => {
  it("one edge per destination port and protocol", () => {
    const s = snap([
      flow({ source: frontend, destination: checkout, dport: 8080 }),
      flow({ source: frontend, destination: checkout, dport: 8080 }),
      flow({ source: frontend, destination: checkout, dport: 9090 }),
      flow({ source: frontend, destination: checkout, dport: 8080, proto: "UDP" }),
      flow({ source: frontend, destination: checkout, proto: "ICMPv4" }),
    ]);
    assert.deepEqual(
      s.edges.map((e) => [e.id, e.flows, e.port]),
      [
        ["wl:shop/frontend|wl:shop/checkout|-/ICMPv4", 1, undefined],
        ["wl:shop/frontend|wl:shop/checkout|8080/TCP", 2, 8080],
        ["wl:shop/frontend|wl:shop/checkout|8080/UDP", 1, 8080],
        ["wl:shop/frontend|wl:shop/checkout|9090/TCP", 1, 9090],
      ],
    );
  });

  it("counts verdicts and derives the mix used for styling", () => {
    const verdicts = (vs: string[]) =>
      edge(snap(vs.map((verdict) => flow({ source: frontend, destination: checkout, dport: 80, verdict }))), "wl:shop/frontend|wl:shop/checkout|80/TCP");
    const all = verdicts(["FORWARDED", "DROPPED", "DROPPED", "AUDIT", "REDIRECTED", "ERROR", "TRACED"]);
    assert.deepEqual(all.verdicts, { forwarded: 1, dropped: 2, audit: 1, redirected: 1, error: 1, other: 1 });
    assert.deepEqual(verdicts(["FORWARDED", "REDIRECTED"]).mix, { dominant: "forwarded", mixed: false });
    assert.deepEqual(verdicts(["DROPPED"]).mix, { dominant: "dropped", mixed: false });
    assert.deepEqual(verdicts(["FORWARDED", "DROPPED"]).mix, { dominant: "dropped", mixed: true });
    assert.deepEqual(verdicts(["AUDIT"]).mix, { dominant: "audit", mixed: false });
    assert.deepEqual(verdicts(["AUDIT", "FORWARDED"]).mix, { dominant: "audit", mixed: true });
  });

  it("replies count for the request's edge (swapped back), not as a reverse edge", () => {
    const s = snap([
      flow({ source: frontend, destination: checkout, dport: 8080, isReply: false }),
      flow({ source: checkout, destination: frontend, dport: 8080, isReply: true }),
      flow({ source: checkout, destination: frontend, dport: 8080, isReply: true, verdict: "DROPPED" }),
    ]);
    assert.equal(s.edges.length, 1);
    const e = edge(s, "wl:shop/frontend|wl:shop/checkout|8080/TCP");
    assert.equal(e.flows, 3);
    assert.equal(e.replies, 2);
    assert.equal(e.verdicts.dropped, 1);
    const f = s.nodes.find((n) => n.id === "wl:shop/frontend");
    assert.deepEqual([f?.flowsOut, f?.flowsIn], [3, 0]);
  });

  it("rows with isReply unknown keep their direction", () => {
    const s = snap([flow({ source: checkout, destination: frontend, dport: 40000, isReply: undefined })]);
    assert.deepEqual(
      s.edges.map((e) => e.id),
      ["wl:shop/checkout|wl:shop/frontend|40000/TCP"],
    );
  });

  it("HTTP error % counts 5xx of the responses; p50/p95 come from response latencies", () => {
    const rows = [flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("GET", "/a") })];
    // 100 responses: latency 1..100 ms; 10 of them 503, 5 of them 404.
    for (let i = 1; i <= 100; i++) {
      const code = i <= 10 ? 503 : i <= 15 ? 404 : 200;
      rows.push(flow({ source: checkout, destination: frontend, dport: 80, isReply: true, l7: httpResponse("GET", "/a", code, i) }));
    }
    const h = edge(snap(rows), "wl:shop/frontend|wl:shop/checkout|80/TCP").http;
    assert.ok(h);
    assert.deepEqual([h.requests, h.responses, h.status5xx, h.status4xx], [1, 100, 10, 5]);
    assert.equal(h.errorPercent, 10);
    assert.ok(Math.abs(h.p50Ms! - 50) / 50 < 0.06, `p50 ${h.p50Ms}`);
    assert.ok(Math.abs(h.p95Ms! - 95) / 95 < 0.06, `p95 ${h.p95Ms}`);
  });

  it("no HTTP stats without HTTP records; no latency without responses", () => {
    const s = snap([flow({ source: frontend, destination: checkout, dport: 80 }), flow({ source: frontend, destination: checkout, dport: 81, l7: httpRequest("GET", "/") })]);
    assert.equal(edge(s, "wl:shop/frontend|wl:shop/checkout|80/TCP").http, undefined);
    const h = edge(s, "wl:shop/frontend|wl:shop/checkout|81/TCP").http;
    assert.deepEqual([h?.errorPercent, h?.p50Ms, h?.p95Ms], [undefined, undefined, undefined]);
  });

  it("flows/s is flows over the window, at least one second", () => {
    const m = new ServiceMapModel();
    m.add([0, 1, 2, 3].map((i) => flow({ source: frontend, destination: checkout, dport: 80, t: T0 + i * 1000 })));
    const s = m.snapshot();
    assert.equal(s.windowMs, 3000);
    assert.equal(edgeFlowsPerSecond(s.edges[0], s.windowMs), 4 / 3);
    assert.equal(m.snapshot({ windowMs: 8000 }).windowMs, 8000);
    assert.equal(edgeFlowsPerSecond(s.edges[0], 10), 4);
  });

  it("last seen is the newest row's time", () => {
    const s = snap([flow({ source: frontend, destination: checkout, dport: 80, t: T0 + 5 }), flow({ source: frontend, destination: checkout, dport: 80, t: T0 + 2 })]);
    assert.equal(s.edges[0].lastSeenMs, T0 + 5);
  });
});

describe("endpoints and DNS names on destination nodes", () => {
  it("groups HTTP paths: numeric ids, uuids, hex and token-like segments collapse", () => {
    const cases: [string, string][] = [
      ["/orders/123", "/orders/:id"],
      ["/orders/123/items/9", "/orders/:id/items/:id"],
      ["/u/3f2b8c1e-1d2a-4c7b-9e8f-0a1b2c3d4e5f", "/u/:uuid"],
      ["/blob/deadbeefdeadbeef00", "/blob/:hex"],
      ["/s/AbC123xyz789QwErTy456", "/s/:token"],
      ["/v1/health", "/v1/health"],
      ["", "/"],
      ["/a/b/c/d/e/f/g/h/i/j/k", "/a/b/c/d/e/f/g/h/…"],
    ];
    for (const [path, want] of cases) assert.equal(endpointPath(path), want, path);
    assert.ok(endpointPath(`/${"x".repeat(5000)}`).length <= 160);
  });

  it("lists method + grouped path with requests, responses and 5xx, most requested first", () => {
    const s = snap([
      flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("GET", "/orders/1") }),
      flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("GET", "/orders/2") }),
      flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("POST", "/orders") }),
      flow({ source: checkout, destination: frontend, dport: 80, isReply: true, l7: httpResponse("GET", "/orders/2", 500, 3) }),
    ]);
    const n = s.nodes.find((x) => x.id === "wl:shop/checkout");
    assert.deepEqual(n?.httpEndpoints, [
      { method: "GET", path: "/orders/:id", requests: 2, responses: 1, status5xx: 1 },
      { method: "POST", path: "/orders", requests: 1, responses: 0, status5xx: 0 },
    ]);
    assert.deepEqual(s.nodes.find((x) => x.id === "wl:shop/frontend")?.httpEndpoints, []);
  });

  it("lists the DNS names queried from the resolver, with error responses", () => {
    const s = snap([
      flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP", l7: dnsRequest("checkout.shop.svc.cluster.local.") }),
      flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP", l7: dnsRequest("nope.example.") }),
      flow({ source: coredns, destination: frontend, dport: 53, proto: "UDP", isReply: true, l7: dnsResponse("nope.example.", 3) }),
      flow({ source: frontend, destination: coredns, dport: 53, proto: "UDP", l7: dnsRequest("checkout.shop.svc.cluster.local.") }),
    ]);
    const n = s.nodes.find((x) => x.id === "wl:kube-system/coredns");
    assert.deepEqual(n?.dnsNames, [
      { name: "checkout.shop.svc.cluster.local", queries: 2, errors: 0 },
      { name: "nope.example", queries: 1, errors: 1 },
    ]);
    assert.deepEqual(edge(s, "wl:shop/frontend|wl:kube-system/coredns|53/UDP").dns, { queries: 3, responses: 1, errors: 1 });
  });
});

describe("bounds", () => {
  it("endpoints and DNS names per node are bounded; the rest is counted as overflow", () => {
    const m = new ServiceMapModel("workload", { maxEndpointsPerNode: 3, maxDnsNamesPerNode: 2, listedPerNode: 2 });
    const rows = [];
    for (let i = 0; i < 10; i++) rows.push(flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("GET", `/p${i}`) }));
    for (let i = 0; i < 5; i++) rows.push(flow({ source: frontend, destination: coredns, dport: 53, l7: dnsRequest(`n${i}.example`) }));
    m.add(rows);
    const s = m.snapshot();
    const c = s.nodes.find((x) => x.id === "wl:shop/checkout")!;
    assert.equal(c.httpEndpoints.length, 2);
    assert.equal(c.httpEndpointsOverflow, 7);
    const d = s.nodes.find((x) => x.id === "wl:kube-system/coredns")!;
    assert.equal(d.dnsNames.length, 2);
    assert.equal(d.dnsNamesOverflow, 3);
  });

  it("labels and ids are bounded", () => {
    const long = "a".repeat(3000);
    const s = snap([flow({ source: pod(long, long), destination: world([`${long}.com`]), dport: 443 })]);
    for (const n of s.nodes) {
      assert.ok(n.label.length <= 80, `label ${n.label.length}`);
      assert.ok(n.namespace.length <= 80);
      assert.ok(n.id.length <= 250, `id ${n.id.length}`);
    }
    for (const e of s.edges) assert.ok(e.id.length <= 512, "edge ids fit the URL's node/edge parameter");
  });

  it("ports beyond the per-pair maximum fold into one * edge", () => {
    const m = new ServiceMapModel("workload", { maxPortsPerPair: 2 });
    m.add([80, 81, 82, 83, 82].map((dport) => flow({ source: frontend, destination: checkout, dport })));
    const s = m.snapshot();
    assert.deepEqual(
      s.edges.map((e) => [e.id, e.flows]),
      [
        ["wl:shop/frontend|wl:shop/checkout|*/TCP", 3],
        ["wl:shop/frontend|wl:shop/checkout|80/TCP", 1],
        ["wl:shop/frontend|wl:shop/checkout|81/TCP", 1],
      ],
    );
  });

  it("nodes and edges beyond the maximum are left out and counted", () => {
    const m = new ServiceMapModel("workload", { maxNodes: 3, maxEdges: 2 });
    const rows = [
      flow({ source: frontend, destination: checkout, dport: 80 }),
      flow({ source: frontend, destination: coredns, dport: 53 }),
      flow({ source: frontend, destination: pod("shop", "cart"), dport: 80 }),
      flow({ source: frontend, destination: checkout, dport: 81 }),
    ];
    m.add(rows);
    const s = m.snapshot();
    assert.equal(s.nodes.length, 3);
    assert.equal(s.edges.length, 2);
    assert.deepEqual(s.truncated, { rows: 2, nodes: 1, edges: 1 });
    m.remove(rows);
    assert.deepEqual(m.snapshot().truncated, { rows: 0, nodes: 1, edges: 1 }, "skipped rows are forgotten exactly");
    assert.equal(m.snapshot().nodes.length, 0);
  });
});

describe("incremental updates", () => {
  it("add reports added and updated nodes and edges", () => {
    const m = new ServiceMapModel();
    const first = m.add([flow({ source: frontend, destination: checkout, dport: 80 })]);
    assert.deepEqual(
      [...first.nodes],
      [
        ["wl:shop/frontend", "added"],
        ["wl:shop/checkout", "added"],
      ],
    );
    assert.deepEqual([...first.edges.values()], ["added"]);
    const second = m.add([flow({ source: frontend, destination: coredns, dport: 53 })]);
    assert.deepEqual(Object.fromEntries(second.nodes), { "wl:kube-system/coredns": "added", "wl:shop/frontend": "updated" });
    assert.equal(second.edges.get("wl:shop/frontend|wl:kube-system/coredns|53/TCP"), "added");
  });

  it("unchanged nodes and edges keep their object identity between snapshots", () => {
    const m = new ServiceMapModel();
    m.add([flow({ source: frontend, destination: checkout, dport: 80 })]);
    const a = m.snapshot();
    assert.equal(m.snapshot(), a, "no change, same snapshot");
    m.add([flow({ source: pod("shop", "cart"), destination: coredns, dport: 53 })]);
    const b = m.snapshot();
    assert.equal(
      b.nodes.find((n) => n.id === "wl:shop/checkout"),
      a.nodes.find((n) => n.id === "wl:shop/checkout"),
    );
    assert.equal(
      b.edges.find((e) => e.source === "wl:shop/frontend"),
      a.edges[0],
    );
    assert.ok(b.version > a.version);
  });

  it("remove undoes add exactly: counts, endpoints, nodes and edges disappear with their last row", () => {
    const rows = syntheticRows(5000, 40, 4);
    const whole = new ServiceMapModel();
    whole.add(rows.slice(2000));
    const m = new ServiceMapModel();
    m.add(rows.slice(0, 3000));
    m.add(rows.slice(3000));
    const changes = m.remove(rows.slice(0, 2000));
    assert.ok([...changes.edges.values()].every((k) => k === "updated" || k === "removed"));
    const strip = (s: ServiceMapSnapshot) => JSON.stringify({ nodes: s.nodes, edges: s.edges.map((e) => ({ ...e, lastSeenMs: 0 })), ns: s.namespaces });
    assert.equal(strip(m.snapshot()), strip(whole.snapshot()));
  });

  it("entries that share one row add and take back their own weights, at their own times", () => {
    const row = flow({ source: frontend, destination: checkout, dport: 80, l7: httpResponse("GET", "/pay", 503, 2), t: T0 });
    const first = { row, timeMs: T0, contribution: undefined };
    const second = { row, timeMs: T0 + 60_000, contribution: undefined };
    const m = new ServiceMapModel();
    m.addEntries([
      [first, 5],
      [second, 3],
    ]);
    const e = () => m.snapshot().edges[0];
    assert.equal(e().flows, 8);
    assert.equal(e().lastSeenMs, T0 + 60_000, "the newest entry's time, not the shared row's");
    m.removeEntries([first]);
    assert.equal(e().flows, 3, "only the first entry's weight went");
    assert.equal(e().http?.status5xx, 3);
    m.removeEntries([first]);
    assert.equal(e().flows, 3, "taken back once");
    m.removeEntries([second]);
    assert.deepEqual([m.snapshot().nodes.length, m.snapshot().edges.length], [0, 0]);
  });

  it("removing every row empties the map", () => {
    const rows = [flow({ source: frontend, destination: checkout, dport: 80, l7: httpRequest("GET", "/x") })];
    const m = new ServiceMapModel();
    m.add(rows);
    const changes = m.remove(rows);
    assert.deepEqual([...changes.nodes.values()], ["removed", "removed"]);
    assert.deepEqual([m.snapshot().nodes.length, m.snapshot().edges.length], [0, 0]);
  });

  it("reset forgets everything", () => {
    const m = new ServiceMapModel();
    m.add([flow({ source: frontend, destination: checkout, dport: 80 })]);
    m.reset();
    assert.deepEqual(m.snapshot().nodes, []);
  });

  // Its speed is measured in bench/service-map.ts, not timed here (a shared machine's load decides a timing).
  it("aggregates 100k rows into the 300 workloads they name", () => {
    const m = new ServiceMapModel();
    m.add(syntheticRows(100_000));
    assert.equal(m.snapshot().nodes.length, 300);
  });
});
