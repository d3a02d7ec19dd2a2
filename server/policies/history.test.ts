import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { DEFAULT_SETTINGS, type PolicyObject } from "@/lib/policy/types";
import { MAX_PROBLEMS, PolicyHistory } from "./history";

function policy(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): PolicyObject {
  const object = { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name, namespace: "shop", ...metadata }, spec };
  return { kind: "CiliumNetworkPolicy", namespace: "shop", name, origin: "test", object, yaml: "" };
}

const T0 = Date.parse("2026-01-01T10:00:00Z");

function history(maxVersions = 500) {
  let now = T0;
  const h = new PolicyHistory(DEFAULT_SETTINGS, maxVersions, () => now);
  return { h, at: (ms: number) => (now = ms) };
}

describe("policy history", () => {
  it("serves an empty placeholder (version 0) until the first set, and does not keep it as history", () => {
    const { h } = history();
    assert.equal(h.current().version, 0);
    assert.equal(h.at(T0).version, 0);
    assert.deepEqual(h.changes(), []);
  });

  it("makes a version only when what a policy enforces changes", () => {
    const { h, at } = history();
    h.update({ policies: [policy("a", { x: 1 })], namespaceLabels: {}, problems: [] });
    at(T0 + 1000);
    // Only server-maintained metadata and status moved: same version.
    const same = policy("a", { x: 1 }, { resourceVersion: "9", managedFields: [], generation: 3 });
    assert.equal(h.update({ policies: [{ ...same, object: { ...same.object, status: { ok: true } } }], namespaceLabels: {}, problems: [] }), null);
    assert.equal(h.current().version, 1);
    const change = h.update({ policies: [policy("a", { x: 2 }), policy("b", {})], namespaceLabels: {}, problems: [] });
    assert.deepEqual(change && { added: change.added, changed: change.changed, removed: change.removed }, {
      added: ["CiliumNetworkPolicy/shop/b"],
      changed: ["CiliumNetworkPolicy/shop/a"],
      removed: [],
    });
  });

  it("makes a version when workload port names change, and keeps them in the snapshot", () => {
    const { h, at } = history();
    const ports = (port: number) => [{ namespace: "shop", workload: "Deployment shop/api", podLabels: { app: "api" }, ports: [{ name: "http", port, protocol: "TCP" as const }] }];
    h.update({ policies: [policy("a", { x: 1 })], namespaceLabels: {}, workloadPorts: ports(8080), problems: [] });
    at(T0 + 1000);
    assert.equal(h.update({ policies: [policy("a", { x: 1 })], namespaceLabels: {}, workloadPorts: ports(8080), problems: [] }), null);
    const v1 = h.current();
    assert.ok(h.update({ policies: [policy("a", { x: 1 })], namespaceLabels: {}, workloadPorts: ports(8443), problems: [] }));
    assert.equal(h.current().version, 2);
    assert.equal(h.current().workloadPorts?.[0]?.ports[0]?.port, 8443);
    assert.equal(h.at(Date.parse(v1.since)).workloadPorts?.[0]?.ports[0]?.port, 8080);
  });

  it("shares unchanged objects between versions", () => {
    const { h, at } = history();
    const a = policy("a", {});
    h.update({ policies: [a], namespaceLabels: {}, problems: [] });
    at(T0 + 1);
    h.update({ policies: [policy("a", {}), policy("b", {})], namespaceLabels: {}, problems: [] });
    assert.equal(
      h.current().policies.find((p) => p.name === "a"),
      a,
    );
  });

  it("counts namespace label changes as versions (namespace selectors depend on them)", () => {
    const { h } = history();
    h.update({ policies: [], namespaceLabels: { shop: { team: "a" } }, problems: [] });
    const c = h.update({ policies: [], namespaceLabels: { shop: { team: "b" }, data: {} }, problems: [] });
    assert.deepEqual(c?.namespaces, ["data", "shop"]);
  });

  it("answers at() with the version in force, the oldest kept for older times, and is bounded", () => {
    const { h, at } = history(3);
    for (let i = 0; i < 5; i++) {
      at(T0 + i * 1000);
      h.update({ policies: [policy("a", { i })], namespaceLabels: {}, problems: [] });
    }
    assert.deepEqual(
      h.changes().map((c) => c.version),
      [3, 4, 5],
    );
    assert.equal(h.at(T0 + 3500).version, 4);
    assert.equal(h.at(T0 + 4000).version, 5);
    assert.equal(h.at(T0).version, 3, "older than all kept: the oldest kept");
    assert.equal(h.at(Number.NaN).version, 5);
  });

  it("never lets since go backwards when the clock does", () => {
    const { h, at } = history();
    h.update({ policies: [policy("a", { v: 1 })], namespaceLabels: {}, problems: [] });
    at(T0 - 60_000);
    h.update({ policies: [policy("a", { v: 2 })], namespaceLabels: {}, problems: [] });
    assert.equal(h.current().since, new Date(T0).toISOString());
  });
});

describe("policy history memory", () => {
  it("keeps at most MAX_PROBLEMS problems per version, saying how many more there were", () => {
    const h = new PolicyHistory(DEFAULT_SETTINGS);
    const problems = Array.from({ length: 2000 }, (_, i) => ({ where: `file f${i}.yaml document 1`, message: "skipped: not a network policy (kind Deployment)" }));
    h.update({ policies: [], namespaceLabels: {}, problems });
    assert.equal(h.problems().length, MAX_PROBLEMS);
    assert.equal(h.problems().at(-1)!.message, `${2000 - MAX_PROBLEMS + 1} more problems not shown`);
  });
});
