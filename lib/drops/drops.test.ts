import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowRow } from "../flow-model";
import { defaultViewState } from "../view-state";
import { flow, pod, T0, world } from "../service-map/testing";
import {
  attributeDrop,
  attributedKeys,
  chargedTo,
  ExplanationCache,
  applyDropSelection,
  groupDrops,
  isDropSelectionActive,
  parsePolicyKey,
  policyCell,
  type DropAttribution,
} from "./index";
import { allowed, defaultDeny, denyRule } from "./testing";
import { bucketIndex, sparklinePath, windowOfRows } from "./sparkline";

const KNP = { kind: "NetworkPolicy", namespace: "payments", name: "default-deny" } as const;
const CNP = { kind: "CiliumNetworkPolicy", namespace: "payments", name: "payments-egress" } as const;
const CCNP = { kind: "CiliumClusterwideNetworkPolicy", namespace: "", name: "deny-frontend-to-data" } as const;

function dropped(extra: Partial<FlowRow> = {}, t = T0): FlowRow {
  return { ...flow({ source: pod("monitoring", "prometheus"), destination: pod("payments", "payments-api"), dport: 9090, verdict: "DROPPED", t }), ...extra };
}

test("attribution: a decisive rule wins over isolating policies and Hubble's list", () => {
  const e = { ...denyRule({ ...CCNP, rule: "ingressDeny[0]" }), isolating: [{ ...KNP, direction: "ingress" as const }] };
  const a = attributeDrop(dropped(), e);
  assert.equal(a.role, "decisive");
  assert.deepEqual(attributedKeys(a), ["CiliumClusterwideNetworkPolicy/deny-frontend-to-data"]);
});

test("attribution: default deny is charged to every isolating policy, once each", () => {
  const e = defaultDeny([
    { ...CNP, direction: "egress" },
    { ...KNP, direction: "egress" },
    { ...KNP, direction: "ingress" },
  ]);
  const a = attributeDrop(dropped(), e);
  assert.equal(a.role, "isolating");
  assert.deepEqual(attributedKeys(a), ["CiliumNetworkPolicy/payments/payments-egress", "NetworkPolicy/payments/default-deny"]);
});

test("attribution: without an explanation (or an 'allowed' one) Hubble's denied_by is used", () => {
  const row = dropped({ deniedBy: [{ kind: "CiliumClusterwideNetworkPolicy", namespace: "", name: "deny-frontend-to-data" }] });
  assert.deepEqual(attributedKeys(attributeDrop(row, undefined)), ["CiliumClusterwideNetworkPolicy/deny-frontend-to-data"]);
  assert.equal(attributeDrop(row, allowed()).source, "hubble");
  assert.equal(attributeDrop(dropped(), allowed()).role, "none");
});

test("attribution: Hubble entries of unknown kinds are not charged", () => {
  const row = dropped({ deniedBy: [{ kind: "Bogus", namespace: "x", name: "y" }] });
  assert.equal(attributeDrop(row, undefined).role, "none");
});

test("cache: explains each flow id once per cache, remembers refusals, skips flows not at hand", () => {
  let calls = 0;
  const cache = new ExplanationCache((id) => {
    calls++;
    if (id === "bad") throw new Error("bad input");
    if (id === "gone") return undefined;
    return defaultDeny([]);
  });
  assert.ok(cache.get("a"));
  assert.ok(cache.get("a"));
  assert.equal(cache.get("bad"), undefined);
  assert.equal(cache.get("bad"), undefined);
  assert.equal(cache.get("gone"), undefined);
  assert.equal(cache.get("gone"), undefined);
  assert.equal(calls, 4);
  assert.equal(cache.has("gone"), false);
});

test("cache: bounded, the oldest entries go first", () => {
  const cache = new ExplanationCache(() => allowed(), 100);
  for (let i = 0; i < 250; i++) cache.get(`f${i}`);
  assert.ok(cache.size <= 100);
  assert.equal(cache.has("f249"), true);
  assert.equal(cache.has("f0"), false);
});

test("groups: counts drops and audits per policy, reason and namespace pair; forwarded flows are ignored", () => {
  const rows = [
    dropped({}, T0 + 9_000),
    dropped({ verdict: "AUDIT", dropReason: "POLICY_DENIED" }, T0 + 5_000),
    dropped({ dropReason: "POLICY_DENY", source: pod("shop-frontend", "storefront"), destination: pod("data", "postgres") }, T0 + 1_000),
    flow({ source: pod("a", "b"), destination: pod("c", "d"), t: T0 }),
  ];
  const explained = new Map<FlowRow, DropAttribution>([
    [rows[0], attributeDrop(rows[0], defaultDeny([{ ...KNP, direction: "ingress" }]))],
    [rows[1], attributeDrop(rows[1], defaultDeny([{ ...KNP, direction: "ingress" }]))],
    [rows[2], attributeDrop(rows[2], denyRule({ ...CCNP, rule: "ingressDeny[0]" }))],
  ]);
  const g = groupDrops(rows, (r) => explained.get(r)!, windowOfRows(rows), { buckets: 10 });
  assert.equal(g.total, 3);
  assert.equal(g.unattributed, 0);
  assert.deepEqual(
    g.byPolicy.map((p) => [p.label, p.count, p.dropped, p.audited]),
    [
      ["payments/default-deny", 2, 1, 1],
      ["deny-frontend-to-data", 1, 1, 0],
    ],
  );
  assert.deepEqual(g.byPolicy[0].select, { kind: "policy", policy: "NetworkPolicy/payments/default-deny" });
  assert.match(g.byPolicy[0].title, /^NetworkPolicy payments\/default-deny/);
  assert.deepEqual(
    g.byReason.map((r) => [r.label, r.count]),
    [
      ["POLICY_DENIED", 2],
      ["POLICY_DENY", 1],
    ],
  );
  assert.deepEqual(
    g.byNamespacePair.map((r) => [r.label, r.count]),
    [
      ["monitoring → payments", 2],
      ["shop-frontend → data", 1],
    ],
  );
  assert.deepEqual(g.byNamespacePair[0].select, { kind: "namespaces", from: "monitoring", to: "payments" });
  // Sparkline buckets sum to the count and place times in order.
  assert.equal(
    g.byPolicy[0].buckets.reduce((s, c) => s + c, 0),
    2,
  );
  assert.equal(g.byPolicy[0].buckets[9], 1);
});

test("groups: drops no policy explains are counted apart and cannot be selected", () => {
  const rows = [dropped({ dropReason: "CT_MAP_INSERTION_FAILED" })];
  const g = groupDrops(rows, () => ({ policies: [], role: "none", source: "none" }), windowOfRows(rows));
  assert.equal(g.unattributed, 1);
  assert.equal(g.byPolicy[0].select, undefined);
});

test("groups: a side outside any namespace is named by its entity and left unfiltered", () => {
  const rows = [dropped({ source: world(["evil.example"]) })];
  const g = groupDrops(rows, () => ({ policies: [], role: "none", source: "none" }), windowOfRows(rows));
  assert.equal(g.byNamespacePair[0].label, "(world) → payments");
  assert.deepEqual(g.byNamespacePair[0].select, { kind: "namespaces", from: "", to: "payments" });
});

test("groups: beyond maxGroups the smallest are folded into one unselectable row", () => {
  const rows = Array.from({ length: 6 }, (_, i) => dropped({ dropReason: `R${i}` }, T0 + i));
  const g = groupDrops(rows, () => ({ policies: [], role: "none", source: "none" }), windowOfRows(rows), { maxGroups: 3 });
  assert.equal(g.byReason.length, 3);
  assert.equal(g.byReason[2].label, "4 more");
  assert.equal(g.byReason[2].count, 4);
  assert.equal(g.byReason[2].select, undefined);
});

test("selection: a policy sets the client-side policy parameter and toggles off", () => {
  const v = applyDropSelection({ ...defaultViewState(), flow: "x", node: "n" }, { kind: "policy", policy: "NetworkPolicy/payments/default-deny" })!;
  assert.equal(v.policy, "NetworkPolicy/payments/default-deny");
  assert.equal(v.flow, undefined);
  assert.equal(v.node, undefined);
  assert.equal(isDropSelectionActive(v, { kind: "policy", policy: "NetworkPolicy/payments/default-deny" }), true);
  assert.equal(applyDropSelection(v, { kind: "policy", policy: "NetworkPolicy/payments/default-deny" })!.policy, undefined);
});

test("selection: a drop reason replaces an earlier one (two would AND to nothing)", () => {
  const a = applyDropSelection(defaultViewState(), { kind: "reason", reason: "POLICY_DENIED" })!;
  const b = applyDropSelection(a, { kind: "reason", reason: "POLICY_DENY" })!;
  assert.deepEqual(
    b.query.filters.map((f) => `${f.kind}=${f.value}`),
    ["drop-reason=POLICY_DENY"],
  );
  assert.equal(isDropSelectionActive(b, { kind: "reason", reason: "POLICY_DENY" }), true);
});

test("selection: a namespace pair becomes from/to namespace filters and narrows to drops", () => {
  const v = applyDropSelection(defaultViewState(), { kind: "namespaces", from: "monitoring", to: "payments" })!;
  assert.deepEqual(
    v.query.filters.map((f) => `${f.direction}:${f.kind}=${f.value}`),
    ["from:namespace=monitoring", "to:namespace=payments"],
  );
  assert.deepEqual(v.query.verdicts, ["DROPPED", "AUDIT"]);
  const only = applyDropSelection(defaultViewState(), { kind: "namespaces", from: "", to: "payments" })!;
  assert.deepEqual(
    only.query.filters.map((f) => `${f.direction}:${f.kind}=${f.value}`),
    ["to:namespace=payments"],
  );
});

test("selection: values the filter model refuses are not turned into filters", () => {
  assert.equal(applyDropSelection(defaultViewState(), { kind: "reason", reason: "NOT A REASON" }), undefined);
  assert.equal(applyDropSelection(defaultViewState(), { kind: "namespaces", from: "Bad Name", to: "" }), undefined);
});

test("sparkline: buckets clamp times outside the window; the path spans the box", () => {
  const w = { startMs: 0, endMs: 1000 };
  assert.equal(bucketIndex(-5, w, 10), 0);
  assert.equal(bucketIndex(999, w, 10), 9);
  assert.equal(bucketIndex(5000, w, 10), 9);
  assert.equal(sparklinePath([0, 2, 1], 40, 10), "M0,10L20,0L40,5");
  assert.equal(sparklinePath([0, 0], 40, 10), "M0,10L40,10");
});

test("policy keys: parsePolicyKey inverts policyKey and refuses anything else", () => {
  for (const p of [KNP, CNP, CCNP]) assert.deepEqual(parsePolicyKey(`${p.kind}/${p.namespace ? `${p.namespace}/` : ""}${p.name}`), p);
  assert.equal(parsePolicyKey("Bogus/x/y"), undefined);
  assert.equal(parsePolicyKey("NetworkPolicy/onlyname"), undefined);
  assert.equal(parsePolicyKey("CiliumClusterwideNetworkPolicy/a/b"), undefined);
});

test("policy cell and filter: short names in the cell, kinds and role in the title; chargedTo matches keys", () => {
  const a = attributeDrop(dropped(), defaultDeny([{ ...KNP, direction: "ingress" }]));
  assert.deepEqual(policyCell(a), { text: "payments/default-deny", title: "default deny, isolated by NetworkPolicy payments/default-deny" });
  assert.equal(chargedTo(a, "NetworkPolicy/payments/default-deny"), true);
  assert.equal(chargedTo(a, "NetworkPolicy/payments/other"), false);
  assert.equal(policyCell(attributeDrop(dropped(), undefined)), undefined);
});
