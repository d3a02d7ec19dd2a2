import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { explainFlow } from "./explain";
import type { Explanation } from "./types";
import { type FlowSpec, flow, HOST, pod, policies, WORLD } from "./test-builders";

// The four kinds of flows whose verdict was right but whose *reason* was wrong (issue 12):
// L7 responses, replies, implicit allows into default-deny endpoints, and L4-only rules that
// void another policy's L7 rules on the same port. Each table pins who decides and why.

const deathstar = pod("default", "deathstar-1", { org: "empire", class: "deathstar" }, 45219);
const tiefighter = pod("default", "tiefighter", { org: "empire", class: "tiefighter" }, 30002);
const xwing = pod("default", "xwing", { org: "alliance", class: "xwing" }, 27863);
const coredns = pod("kube-system", "coredns-1", { "k8s-app": "kube-dns" }, 5004);
const DS = "default/deathstar-1";

function doc(kind: string, name: string, ns: string | null, spec: string): string {
  const api = kind === "NetworkPolicy" ? "networking.k8s.io/v1" : "cilium.io/v2";
  return `apiVersion: ${api}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}spec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
}
const cnp = (name: string, spec: string, ns = "default") => doc("CiliumNetworkPolicy", name, ns, spec);

const RULE1_L7 = cnp(
  "rule1",
  `endpointSelector: {matchLabels: {class: deathstar}}
ingress:
- fromEndpoints: [{matchLabels: {org: empire}}]
  toPorts:
  - ports: [{port: "80", protocol: TCP}]
    rules:
      http: [{method: POST, path: /v1/request-landing}]`,
);
const XWING_DNS = cnp(
  "xwing-dns",
  `endpointSelector: {matchLabels: {class: xwing}}
egress:
- toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]
  toPorts:
  - ports: [{port: "53", protocol: ANY}]
    rules:
      dns: [{matchPattern: "*.cluster.local"}]`,
);
const XWING_EGRESS_HTTP = cnp(
  "xwing-out",
  `endpointSelector: {matchLabels: {class: xwing}}
egress:
- toEndpoints: [{matchLabels: {class: deathstar}}]
  toPorts:
  - ports: [{port: "80", protocol: TCP}]
    rules:
      http: [{method: GET}]`,
);
const XWING_INGRESS_LOCKED = cnp(
  "xwing-in",
  `endpointSelector: {matchLabels: {class: xwing}}\ningress:\n- fromEndpoints: [{matchLabels: {class: deathstar}}]\n  toPorts: [{ports: [{port: "9000", protocol: TCP}]}]`,
);
const XWING_TO_WORLD = cnp("xwing-world", `endpointSelector: {matchLabels: {class: xwing}}\negress:\n- toEntities: [world]\n  toPorts: [{ports: [{port: "443", protocol: TCP}]}]`);
const NS_DENY_ALL = cnp("deny-all", `endpointSelector: {}\ningress: [{}]`);

interface Case {
  name: string;
  policies: string;
  settings?: Parameters<typeof policies>[1];
  flow: FlowSpec;
  verdict: Explanation["verdict"];
  decision: Explanation["decision"];
  decisive: string | null;
  point: string;
  isolating?: string[];
  reason?: RegExp;
}

const refText = (r: Explanation["decisive"]) => (r ? `${r.kind}/${r.namespace}/${r.name}#${r.rule}` : null);

function check(c: Case): void {
  const e = explainFlow(flow(c.flow), policies(c.policies, c.settings ?? {}));
  const ctx = `${c.name}\n${JSON.stringify(e, null, 1)}`;
  assert.equal(e.verdict, c.verdict, ctx);
  assert.equal(e.decision, c.decision, ctx);
  assert.equal(refText(e.decisive), c.decisive, ctx);
  assert.equal(e.enforcementPoint ? `${e.enforcementPoint.endpoint} ${e.enforcementPoint.direction}` : null, c.point, ctx);
  if (c.isolating)
    assert.deepEqual(
      e.isolating.map((p) => `${p.kind}/${p.namespace}/${p.name}`),
      c.isolating,
      ctx,
    );
  if (c.reason) assert.match(e.reason, c.reason, ctx);
}

// A response goes server → client: its source port is the server's port, and Hubble copies the
// request's method and URL into the response record.
const response = (s: Omit<FlowSpec, "l7Type" | "isReply">): FlowSpec => ({ ...s, l7Type: "RESPONSE", isReply: true });

const RESPONSES: Case[] = [
  {
    name: "the proxy's 403 to a refused request: l7-deny at the server's ingress, by the server's http rules",
    policies: RULE1_L7,
    flow: response({
      src: deathstar,
      dst: tiefighter,
      srcPort: 80,
      port: 51234,
      http: { method: "PUT", url: "http://deathstar.default.svc.cluster.local/v1/exhaust-port", code: 403 },
    }),
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http",
    point: `${DS} ingress`,
    reason: /^This is the HTTP 403 response to PUT .*exhaust-port.*Refused by the L7 proxy at ingress of default\/deathstar-1/,
  },
  {
    name: "a 200 to an allowed request names the http rule that allowed the request",
    policies: RULE1_L7,
    flow: response({ src: deathstar, dst: tiefighter, srcPort: 80, port: 51234, http: { method: "POST", url: "http://deathstar/v1/request-landing", code: 200 } }),
    verdict: "allowed",
    decision: "allow-rule",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http[0]",
    point: `${DS} ingress`,
  },
  {
    name: "a response from a client-side (egress) proxy is judged at the client's egress",
    policies: XWING_EGRESS_HTTP,
    flow: response({ src: deathstar, dst: xwing, srcPort: 80, port: 51234, direction: "EGRESS", http: { method: "DELETE", url: "http://deathstar/x", code: 403 } }),
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/default/xwing-out#egress[0].toPorts[0].rules.http",
    point: "default/xwing egress",
  },
  {
    name: "a DNS response is judged by its query against the client's DNS rules",
    policies: XWING_DNS,
    flow: response({ src: coredns, dst: xwing, proto: "UDP", srcPort: 53, port: 40001, direction: "EGRESS", dns: "api.example.com." }),
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/default/xwing-dns#egress[0].toPorts[0].rules.dns",
    point: "default/xwing egress",
    reason: /DNS response to api\.example\.com/,
  },
  {
    name: "a response record without its request is an ordinary reply",
    policies: RULE1_L7,
    flow: { src: deathstar, dst: tiefighter, srcPort: 80, port: 51234, isReply: true, extra: { l7: { type: "RESPONSE", http: { code: 200 } } } },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0]",
    point: "default/tiefighter ingress",
  },
];

const REPLIES: Case[] = [
  {
    name: "a reply names the rule that allowed its connection at the server's ingress",
    policies: RULE1_L7,
    flow: { src: deathstar, dst: tiefighter, srcPort: 80, port: 51234, isReply: true },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0]",
    point: "default/tiefighter ingress",
    isolating: [],
    reason: /connection was allowed at ingress of default\/deathstar-1 by CiliumNetworkPolicy default\/rule1 ingress\[0\]/,
  },
  {
    name: "a reply from the world names the client's egress rule and the policies isolating the client's ingress",
    policies: XWING_TO_WORLD + XWING_INGRESS_LOCKED,
    flow: { src: WORLD, srcIp: "198.51.100.7", srcPort: 443, dst: xwing, dstIp: "10.0.1.10", port: 51234, isReply: true },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: "CiliumNetworkPolicy/default/xwing-world#egress[0]",
    point: "default/xwing ingress",
    isolating: ["CiliumNetworkPolicy/default/xwing-in"],
    reason: /default-deny for ingress/,
  },
  {
    name: "a reply on a connection no policy enforced names no rule",
    policies: XWING_INGRESS_LOCKED,
    flow: { src: WORLD, srcIp: "198.51.100.7", srcPort: 443, dst: xwing, port: 51234, isReply: true },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: "default/xwing ingress",
    isolating: ["CiliumNetworkPolicy/default/xwing-in"],
    reason: /not subject to an allow rule/,
  },
  {
    name: "a reply on a connection the policies would refuse says so",
    policies: RULE1_L7,
    flow: { src: deathstar, dst: xwing, srcPort: 80, port: 51234, isReply: true },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: "default/xwing ingress",
    reason: /would not allow the connection itself/,
  },
];

const IMPLICIT: Case[] = [
  {
    name: "host → pod in default-deny: implicit allow, listing the isolating policy",
    policies: RULE1_L7,
    flow: { src: HOST, dst: deathstar, port: 8080 },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: `${DS} ingress`,
    isolating: ["CiliumNetworkPolicy/default/rule1"],
    reason: /Nothing else would pass: CiliumNetworkPolicy default\/rule1 puts default\/deathstar-1 in default-deny for ingress/,
  },
  {
    name: "host → pod isolated by two policies lists both",
    policies: RULE1_L7 + NS_DENY_ALL,
    flow: { src: HOST, dst: deathstar, port: 8080 },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: `${DS} ingress`,
    isolating: ["CiliumNetworkPolicy/default/deny-all", "CiliumNetworkPolicy/default/rule1"],
  },
  {
    name: "host → pod without ingress policy lists none",
    policies: XWING_DNS,
    flow: { src: HOST, dst: xwing, port: 8080 },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: "default/xwing ingress",
    isolating: [],
  },
  {
    name: "host → pod with policy-enforcement-mode always says so",
    policies: "",
    settings: { "policy-enforcement-mode": "always" },
    flow: { src: HOST, dst: xwing, port: 8080 },
    verdict: "allowed",
    decision: "implicit-allow",
    decisive: null,
    point: "default/xwing ingress",
    isolating: [],
    reason: /policy-enforcement-mode is always/,
  },
];

const L4_ONLY = cnp("l4only", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "80", protocol: TCP}]}]`);
const PUT = { method: "PUT", url: "http://deathstar/v1/exhaust-port" };

const UNIONS: Case[] = [
  {
    name: "an L4-only rule on the same port voids another policy's http rules and decides",
    policies: RULE1_L7 + L4_ONLY,
    flow: { src: tiefighter, dst: deathstar, http: PUT },
    verdict: "allowed",
    decision: "allow-rule",
    decisive: "CiliumNetworkPolicy/default/l4only#ingress[0]",
    point: `${DS} ingress`,
    reason: /L7 rules of CiliumNetworkPolicy default\/rule1 ingress\[0\]\.toPorts\[0\]\.rules on the same port have no effect/,
  },
  {
    name: "an L3/L4 rule without L7 for the same peer and port, in the same policy, decides",
    policies: cnp(
      "rule1",
      `endpointSelector: {matchLabels: {class: deathstar}}
ingress:
- fromEndpoints: [{matchLabels: {org: empire}}]
  toPorts:
  - ports: [{port: "80", protocol: TCP}]
    rules:
      http: [{method: POST}]
- fromEndpoints: [{matchLabels: {class: tiefighter}}]
  toPorts: [{ports: [{port: "80", protocol: TCP}]}]`,
    ),
    flow: { src: tiefighter, dst: deathstar, http: PUT },
    verdict: "allowed",
    decision: "allow-rule",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[1]",
    point: `${DS} ingress`,
  },
  {
    name: "a NetworkPolicy allowing the port voids a CNP's http rules",
    policies: RULE1_L7 + doc("NetworkPolicy", "web", "default", `podSelector: {matchLabels: {class: deathstar}}\ningress:\n- ports: [{port: 80}]`),
    flow: { src: tiefighter, dst: deathstar, http: PUT },
    verdict: "allowed",
    decision: "allow-rule",
    decisive: "NetworkPolicy/default/web#spec.ingress[0]",
    point: `${DS} ingress`,
  },
  {
    name: "an L4-only rule for another peer does not void them",
    policies:
      RULE1_L7 +
      cnp(
        "xwing-only",
        `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- fromEndpoints: [{matchLabels: {class: xwing}}]\n  toPorts: [{ports: [{port: "80", protocol: TCP}]}]`,
      ),
    flow: { src: tiefighter, dst: deathstar, http: PUT },
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http",
    point: `${DS} ingress`,
  },
  {
    name: "an L4-only rule on another port does not void them",
    policies: RULE1_L7 + cnp("metrics", `endpointSelector: {matchLabels: {class: deathstar}}\ningress:\n- toPorts: [{ports: [{port: "9090", protocol: TCP}]}]`),
    flow: { src: tiefighter, dst: deathstar, http: PUT },
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/default/rule1#ingress[0].toPorts[0].rules.http",
    point: `${DS} ingress`,
  },
];

describe("explainer fidelity: who decides and why", () => {
  for (const [title, cases] of [
    ["L7 responses are explained by the request they answer", RESPONSES],
    ["replies name the rule that allowed their connection", REPLIES],
    ["implicit allows list the policies isolating the endpoint", IMPLICIT],
    ["an L4-only rule voids L7 rules on the same port and decides", UNIONS],
  ] as const) {
    describe(title, () => {
      for (const c of cases) it(c.name, () => check(c));
    });
  }
});
