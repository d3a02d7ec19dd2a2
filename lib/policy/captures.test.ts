import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { captureFiles, captureLines } from "../testing/captures";
import { explainFlow } from "./explain";
import { policies } from "./test-builders";

// Real recorded Hubble output: every flow is explained without throwing, with and without
// policies in force, and the answer is the documented JSON.

const RULE1 = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rule1, namespace: default}
spec:
  endpointSelector: {matchLabels: {class: deathstar}}
  ingress: [{fromEndpoints: [{matchLabels: {org: empire}}], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: dns-only}
spec:
  endpointSelector: {matchLabels: {"io.kubernetes.pod.namespace": bookinfo}}
  egress:
  - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
`;

const KEYS = ["verdict", "decision", "evidence", "enforcementPoint", "decisive", "isolating", "nearMisses", "reason", "suggestion"];

describe("explainFlow over recorded captures", () => {
  const sets = { none: policies(""), some: policies(RULE1), always: policies(RULE1, { "policy-enforcement-mode": "always" }) };
  it("has captures", () => assert.ok(captureFiles().length > 0, "no captures found"));
  for (const file of captureFiles()) {
    it(file.split("/").pop()!, () => {
      for (const line of captureLines(file)) {
        for (const c of Object.values(sets)) {
          const e = explainFlow(line, c);
          assert.deepEqual(Object.keys(e), KEYS);
          assert.ok(e.reason.length > 0 && e.reason.length <= 700);
          JSON.stringify(e);
        }
      }
    });
  }
  it("the docs' xwing drop (namespace and pod_name only) is reported at the deathstar with a caveat", () => {
    const line = captureLines("cilium-docs-export-dropped.jsonl").find((l) => l.includes("xwing"))!;
    const e = explainFlow(line, sets.some);
    assert.deepEqual(e.enforcementPoint, { endpoint: "default/deathstar-7848d6c4d5-th9v2", direction: "ingress" });
    assert.match(e.reason, /no labels/);
    assert.match(e.reason, /POLICY_DENIED/);
  });
  it("an IPv6 router solicitation dropped for INVALID_SOURCE_IP is not a policy decision", () => {
    const line = captureLines("cilium-docs-export-dropped.jsonl")[0]!;
    const e = explainFlow(line, sets.some);
    assert.equal(e.enforcementPoint, null);
    assert.match(e.reason, /^Dropped for INVALID_SOURCE_IP, not by policy/);
  });
});
