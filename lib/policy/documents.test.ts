import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parsePolicyDocuments, policyFromObject, SKIPPED_NOT_A_POLICY } from "./documents";

const FILE = `# shop policies
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: payments
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: rule1
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: cart
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  podSelector: {}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: cw
  namespace: ignored
spec:
  endpointSelector: {}
  egress:
  - toEntities: [world]
`;

describe("parsePolicyDocuments", () => {
  it("reads every policy kind, namespaces and skips other kinds with a distinguishable problem", () => {
    const r = parsePolicyDocuments(FILE, "policies.yaml");
    assert.deepEqual(
      r.policies.map((p) => [p.kind, p.namespace, p.name]),
      [
        ["CiliumNetworkPolicy", "shop", "rule1"],
        ["NetworkPolicy", "default", "deny-all"],
        ["CiliumClusterwideNetworkPolicy", "", "cw"],
      ],
    );
    assert.deepEqual(r.namespaces, { shop: { team: "payments", "kubernetes.io/metadata.name": "shop" } });
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.where, "policies.yaml document 3");
    assert.ok(r.problems[0]!.message.startsWith(SKIPPED_NOT_A_POLICY));
    assert.match(r.problems[0]!.message, /Deployment/);
  });

  it("keeps each document's own text as the policy's yaml", () => {
    const r = parsePolicyDocuments(FILE, "policies.yaml");
    const cnp = r.policies[0]!;
    assert.ok(cnp.yaml.startsWith("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy"));
    assert.ok(!cnp.yaml.includes("---"));
    assert.deepEqual(parse(cnp.yaml), cnp.object);
    assert.equal(cnp.origin, "policies.yaml document 2");
  });

  it("one bad document never hides the others", () => {
    const text = `kind: CiliumNetworkPolicy
apiVersion: cilium.io/v2
metadata: {name: a}
spec:
  endpointSelector: {}
  ingress: [ {fromEntities: [world]}
---
kind: CiliumNetworkPolicy
metadata: {namespace: x}
spec: {endpointSelector: {}}
---
kind: CiliumNetworkPolicy
metadata: {name: c}
spec: [1, 2]
---
kind: CiliumNetworkPolicy
metadata: {name: d}
spec: {ingress: []}
---
kind: NetworkPolicy
metadata: {name: e}
spec: {podSelector: {}, ingress: {}}
---
kind: CiliumNetworkPolicy
metadata: {name: ok, namespace: z}
spec: {endpointSelector: {}, ingress: [{}]}
`;
    const r = parsePolicyDocuments(text, "f.yaml");
    assert.deepEqual(
      r.policies.map((p) => p.name),
      ["ok"],
    );
    const byDoc = Object.fromEntries(r.problems.map((p) => [p.where.replace(/ \(.*\)$/, ""), p.message]));
    assert.match(byDoc["f.yaml document 1"]!, /YAML syntax error/);
    assert.match(byDoc["f.yaml document 2"]!, /no metadata.name/);
    assert.match(byDoc["f.yaml document 3"]!, /spec must be an object/);
    assert.match(byDoc["f.yaml document 4"]!, /endpointSelector or a nodeSelector/);
    assert.match(byDoc["f.yaml document 5"]!, /spec.ingress must be a list/);
    assert.equal(r.problems.length, 5);
  });

  it("reads kind: List and JSON, and ignores empty documents", () => {
    const list = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "a", namespace: "n" }, specs: [{ endpointSelector: {}, egress: [{}] }] },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" } },
      ],
    });
    const r = parsePolicyDocuments(`---\n---\n${list}\n---\n`, "list.json");
    assert.deepEqual(
      r.policies.map((p) => p.name),
      ["a"],
    );
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.where, /list.json document 2 item 2/);
    assert.ok(r.problems[0]!.message.startsWith(SKIPPED_NOT_A_POLICY));
  });

  it("reads typed lists from the API and bare JSON arrays", () => {
    const item = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "k", namespace: "a" }, spec: { podSelector: {} } };
    assert.deepEqual(
      parsePolicyDocuments(JSON.stringify({ kind: "NetworkPolicyList", items: [item] }), "x").policies.map((p) => p.name),
      ["k"],
    );
    assert.deepEqual(
      parsePolicyDocuments(JSON.stringify([item]), "x").policies.map((p) => p.name),
      ["k"],
    );
  });

  it("reads CiliumCIDRGroups as cluster-scoped objects, and rejects a malformed one", () => {
    const r = parsePolicyDocuments(
      `apiVersion: cilium.io/v2\nkind: CiliumCIDRGroup\nmetadata: {name: vpn, namespace: ignored, labels: {role: vpn}}\nspec: {externalCIDRs: [10.48.0.0/24]}\n---\napiVersion: cilium.io/v2alpha1\nkind: CiliumCIDRGroup\nmetadata: {name: bad}\nspec: {externalCIDRs: 10.0.0.0/8}\n`,
      "groups.yaml",
    );
    assert.deepEqual(
      r.policies.map((p) => [p.kind, p.namespace, p.name]),
      [["CiliumCIDRGroup", "", "vpn"]],
    );
    assert.deepEqual(
      r.problems.map((p) => p.message),
      ["spec.externalCIDRs must be a list of CIDRs"],
    );
  });

  it("never throws on odd text", () => {
    for (const t of ["", "# only a comment", "just a string", "- 1\n- 2", "a: *unknown", "\u0000", "{{{{", "[1, 2"]) {
      const r = parsePolicyDocuments(t, "x");
      assert.equal(r.policies.length, 0);
    }
  });
});

describe("policyFromObject", () => {
  it("takes API objects, keeps uid/resourceVersion and renders YAML without managedFields", () => {
    const r = policyFromObject(
      {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: {
          name: "p",
          namespace: "ns",
          uid: "u-1",
          resourceVersion: "42",
          managedFields: [{ manager: "kubectl" }],
          annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
        },
        spec: { endpointSelector: {}, ingress: [{}] },
        status: { conditions: [] },
      },
      "kubernetes",
    );
    assert.ok(r.policy);
    assert.equal(r.policy.uid, "u-1");
    assert.equal(r.policy.resourceVersion, "42");
    assert.doesNotMatch(r.policy.yaml, /managedFields|last-applied|status/);
    assert.match(r.policy.yaml, /endpointSelector/);
  });
  it("gives namespace labels with kubernetes.io/metadata.name", () => {
    const r = policyFromObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }, "k");
    assert.deepEqual(r.namespace, { name: "a", labels: { "kubernetes.io/metadata.name": "a" } });
  });
  it("reports non-objects", () => {
    assert.ok(policyFromObject(null, "k").problem);
    assert.ok(policyFromObject([1], "k").problem);
    assert.ok(policyFromObject({ kind: 3 }, "k").problem);
  });
});
