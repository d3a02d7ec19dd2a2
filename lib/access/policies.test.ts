import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PolicyObject, PolicySet } from "@/lib/policy/types";
import { DEFAULT_SETTINGS } from "@/lib/policy/types";
import { ALL_NAMESPACES, namespacesAccess } from "./scope";
import { policyKeyVisible, policyVisible, scopePolicySet } from "./policies";

const policy = (kind: PolicyObject["kind"], namespace: string, name: string, spec: Record<string, unknown> = {}): PolicyObject => ({
  kind,
  namespace,
  name,
  origin: "test",
  object: { apiVersion: "cilium.io/v2", kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec },
  yaml: "",
});

const LABELS = { shop: { team: "web" }, billing: { team: "money" } };
const shopOnly = namespacesAccess(["shop"]);

describe("policies one may read (lib/access/policies.ts)", () => {
  const cases: Array<[string, PolicyObject, boolean]> = [
    ["a CiliumNetworkPolicy in an allowed namespace", policy("CiliumNetworkPolicy", "shop", "a"), true],
    ["a NetworkPolicy in another namespace", policy("NetworkPolicy", "billing", "b"), false],
    ["a cluster-wide policy for every endpoint", policy("CiliumClusterwideNetworkPolicy", "", "all", { endpointSelector: {} }), true],
    [
      "a cluster-wide policy pinned to the allowed namespace",
      policy("CiliumClusterwideNetworkPolicy", "", "shop-only", { endpointSelector: { matchLabels: { "k8s:io.kubernetes.pod.namespace": "shop" } } }),
      true,
    ],
    [
      "a cluster-wide policy pinned to another namespace",
      policy("CiliumClusterwideNetworkPolicy", "", "billing-only", { endpointSelector: { matchLabels: { "io.kubernetes.pod.namespace": "billing" } } }),
      false,
    ],
    [
      "a cluster-wide policy by namespace label that the allowed namespace carries",
      policy("CiliumClusterwideNetworkPolicy", "", "web-team", { endpointSelector: { matchLabels: { "io.cilium.k8s.namespace.labels.team": "web" } } }),
      true,
    ],
    [
      "a cluster-wide policy by a namespace label only others carry",
      policy("CiliumClusterwideNetworkPolicy", "", "money-team", {
        endpointSelector: { matchExpressions: [{ key: "io.cilium.k8s.namespace.labels.team", operator: "In", values: ["money"] }] },
      }),
      false,
    ],
    ["a host policy (nodeSelector)", policy("CiliumClusterwideNetworkPolicy", "", "host", { nodeSelector: {} }), false],
    ["a CiliumCIDRGroup (no selector; policies refer to it)", policy("CiliumCIDRGroup", "", "vpn", {}), true],
  ];
  for (const [what, p, want] of cases) {
    it(`${want ? "shows" : "hides"} ${what}`, () => assert.equal(policyVisible(p, shopOnly, LABELS), want));
  }

  it("shows everything to someone who sees every namespace", () => {
    for (const [, p] of cases) assert.equal(policyVisible(p, ALL_NAMESPACES, LABELS), true);
  });

  it("scopes a whole set: policies, namespace labels and workload ports", () => {
    const set: PolicySet = {
      policies: cases.map(([, p]) => p),
      namespaceLabels: LABELS,
      settings: DEFAULT_SETTINGS,
      workloadPorts: [
        { namespace: "shop", workload: "Deployment shop/web", podLabels: {}, ports: [] },
        { namespace: "billing", workload: "Deployment billing/api", podLabels: {}, ports: [] },
      ],
    };
    const scoped = scopePolicySet(set, shopOnly);
    assert.deepEqual(
      scoped.policies.map((p) => p.name),
      cases.filter(([, , want]) => want).map(([, p]) => p.name),
    );
    assert.deepEqual(Object.keys(scoped.namespaceLabels), ["shop"]);
    assert.deepEqual(
      scoped.workloadPorts?.map((w) => w.namespace),
      ["shop"],
    );
    assert.equal(scopePolicySet(set, ALL_NAMESPACES), set);
  });

  it("shows history keys of its namespaces, and cluster-wide keys it may read", () => {
    const visible = new Set(["CiliumClusterwideNetworkPolicy/all"]);
    assert.equal(policyKeyVisible("CiliumNetworkPolicy/shop/a", shopOnly, visible), true);
    assert.equal(policyKeyVisible("NetworkPolicy/billing/b", shopOnly, visible), false);
    assert.equal(policyKeyVisible("CiliumClusterwideNetworkPolicy/all", shopOnly, visible), true);
    assert.equal(policyKeyVisible("CiliumClusterwideNetworkPolicy/billing-only", shopOnly, visible), false);
  });
});
