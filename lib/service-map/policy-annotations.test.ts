import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowRow } from "../flow-model";
import type { IsolatingPolicy, PolicyId } from "../policy/types";
import { edgeIdOf } from "./ids";
import { EdgeDropIndex, edgeDropPolicies, edgeDropText, nodeEndpoints, nodeLocks, nodeLockText } from "./policy-annotations";
import { entity, flow, pod, T0 } from "./testing";

const KNP: PolicyId = { kind: "NetworkPolicy", namespace: "payments", name: "default-deny" };
const CNP: PolicyId = { kind: "CiliumNetworkPolicy", namespace: "payments", name: "payments-api-ingress" };
const isDrop = (r: FlowRow) => r.verdict === "DROPPED";

test("edge drops: each dropped flow's policies are counted on its edge, most drops first", () => {
  const prom = pod("monitoring", "prometheus");
  const api = pod("payments", "payments-api");
  const rows = [
    flow({ source: prom, destination: api, dport: 9090, verdict: "DROPPED", t: T0 + 2 }),
    flow({ source: prom, destination: api, dport: 9090, verdict: "DROPPED", t: T0 + 1 }),
    flow({ source: prom, destination: api, dport: 9090, verdict: "FORWARDED", t: T0 }),
  ];
  const policies = new Map<FlowRow, PolicyId[]>([
    [rows[0], [KNP, CNP]],
    [rows[1], [KNP]],
  ]);
  const m = edgeDropPolicies(rows, "workload", isDrop, (r) => policies.get(r) ?? []);
  const e = m.get(edgeIdOf(rows[0], "workload"))!;
  assert.deepEqual(
    e.policies.map((p) => [p.key, p.drops]),
    [
      ["NetworkPolicy/payments/default-deny", 2],
      ["CiliumNetworkPolicy/payments/payments-api-ingress", 1],
    ],
  );
  assert.equal(edgeDropText(e), "dropped by payments/default-deny (+1 more)");
  // The folded edge of the pair carries the same annotation.
  assert.ok(m.get("wl:monitoring/prometheus|wl:payments/payments-api|*/TCP"));
});

test("edge drops: a dropped reply counts for the request's edge; unexplained drops are counted apart", () => {
  const a = pod("shop", "a");
  const b = pod("shop", "b");
  const reply = flow({ source: b, destination: a, dport: 80, isReply: true, verdict: "DROPPED" });
  const m = edgeDropPolicies([reply], "workload", isDrop, () => []);
  const e = m.get("wl:shop/a|wl:shop/b|80/TCP")!;
  assert.equal(e.unattributed, 1);
  assert.equal(edgeDropText(e), "");
});

test("node endpoints: the newest endpoint per wanted node; entities are skipped", () => {
  const api = pod("payments", "payments-api");
  const rows = [
    flow({ source: entity("host"), destination: api, dport: 8080 }),
    flow({ source: pod("payments", "payments-api", { labels: ["k8s:old"] }), destination: pod("data", "pg"), dport: 5432 }),
  ];
  const eps = nodeEndpoints(rows, "workload", new Set(["wl:payments/payments-api", "entity:host", "wl:data/pg"]));
  assert.deepEqual(eps.get("wl:payments/payments-api"), { labels: api.labels, namespace: "payments" });
  assert.equal(eps.has("entity:host"), false);
  assert.equal(eps.get("wl:data/pg")?.namespace, "data");
});

test("node locks: only nodes isolated in some direction, with their policies once each", () => {
  const eps = new Map([
    ["wl:payments/api", { labels: ["k8s:app=api"], namespace: "payments" }],
    ["wl:shop/web", { labels: ["k8s:app=web"], namespace: "shop" }],
  ]);
  const iso = (ep: { namespace: string }, d: "ingress" | "egress"): IsolatingPolicy[] =>
    ep.namespace === "payments" ? [{ ...KNP, direction: d }, { ...KNP, direction: d }, ...(d === "ingress" ? [{ ...CNP, direction: d }] : [])] : [];
  const locks = nodeLocks(eps, iso);
  assert.equal(locks.has("wl:shop/web"), false);
  const l = locks.get("wl:payments/api")!;
  assert.equal(l.ingress.length, 2);
  assert.equal(l.egress.length, 1);
  assert.equal(nodeLockText(l, "egress"), "egress default-deny by NetworkPolicy payments/default-deny");
});

test("edge drop index: removing a row takes back exactly what it added, even if its attribution changed since", () => {
  const prom = pod("monitoring", "prometheus");
  const api = pod("payments", "payments-api");
  const a = flow({ source: prom, destination: api, dport: 9090, verdict: "DROPPED", t: T0 + 1 });
  const b = flow({ source: prom, destination: api, dport: 9090, verdict: "DROPPED", t: T0 });
  let charged: PolicyId[] = [KNP];
  const index = new EdgeDropIndex("workload", isDrop, () => charged);
  index.add([a, b]);
  const first = index.snapshot();
  assert.equal(index.snapshot(), first, "unchanged: the same object");
  charged = [CNP];
  index.remove([b]);
  const id = edgeIdOf(a, "workload");
  assert.deepEqual(
    index
      .snapshot()
      .get(id)!
      .policies.map((p) => [p.key, p.drops]),
    [["NetworkPolicy/payments/default-deny", 1]],
  );
  index.remove([a]);
  assert.equal(index.snapshot().size, 0);
});

test("edge drop index: fed in pieces it agrees with the batch function", () => {
  const prom = pod("monitoring", "prometheus");
  const rows = Array.from({ length: 30 }, (_, i) =>
    flow({ source: prom, destination: pod("payments", `svc${i % 3}`), dport: 9090 + (i % 2), verdict: i % 4 === 0 ? "FORWARDED" : "DROPPED", t: T0 + i }),
  );
  const attribute = (r: FlowRow) => (r.destination.workload === "svc0" ? [KNP] : r.destination.workload === "svc1" ? [KNP, CNP] : []);
  const index = new EdgeDropIndex("workload", isDrop, attribute);
  index.add(rows.slice(0, 10));
  index.add(rows.slice(10));
  index.remove(rows.slice(0, 5));
  assert.deepEqual(index.snapshot(), edgeDropPolicies(rows.slice(5), "workload", isDrop, attribute));
});

test("node endpoints: entities are not looked for, and the scan is bounded", () => {
  const rows = [flow({ source: pod("a", "x"), destination: pod("b", "y"), dport: 80 }), flow({ source: pod("c", "z"), destination: pod("d", "w"), dport: 80 })];
  const eps = nodeEndpoints(rows, "workload", new Set(["wl:a/x", "wl:c/z", "entity:world"]), 1);
  assert.deepEqual([...eps.keys()], ["wl:a/x"]);
});
