import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ruleLineRange } from "./ranges";

const CNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: rule1
spec:
  endpointSelector:
    matchLabels:
      class: deathstar
  ingress:
  - fromEndpoints:
    - matchLabels:
        org: empire
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
      rules:
        http:
        - method: POST
          path: /v1/request-landing
        - method: GET
  - fromEntities: [world]
`;

const MULTI = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: m}
specs:
- endpointSelector: {}
  egress:
  - toEntities: [world]
- endpointSelector: {}
  ingress:
  - {}
`;

const KNP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: k
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: a}}
    - namespaceSelector:
        matchLabels:
          team: x
    ports:
    - port: 80
`;

describe("ruleLineRange", () => {
  const cases: [string, string, string, { start: number; end: number } | null][] = [
    ["CNP rule relative to spec", CNP, "ingress[0]", { start: 10, end: 21 }],
    ["CNP second rule", CNP, "ingress[1]", { start: 22, end: 22 }],
    ["CNP port entry", CNP, "ingress[0].toPorts[0]", { start: 14, end: 21 }],
    ["CNP http rule", CNP, "ingress[0].toPorts[0].rules.http[1]", { start: 21, end: 21 }],
    ["CNP http list", CNP, "ingress[0].toPorts[0].rules.http", { start: 19, end: 21 }],
    ["specs[n] path", MULTI, "specs[1].ingress[0]", { start: 10, end: 10 }],
    ["KNP from[j]", KNP, "spec.ingress[0].from[1]", { start: 10, end: 12 }],
    ["KNP ports", KNP, "spec.ingress[0].ports[0]", { start: 14, end: 14 }],
    ["missing index", CNP, "ingress[5]", null],
    ["not a path", CNP, "ingress[", null],
    ["empty path", CNP, "", null],
  ];
  for (const [name, text, path, want] of cases) {
    it(name, () => assert.deepEqual(ruleLineRange(text, path), want));
  }
  it("never throws on bad YAML", () => {
    assert.equal(ruleLineRange("a: [", "ingress[0]"), null);
    assert.equal(ruleLineRange("", "ingress[0]"), null);
  });
});
