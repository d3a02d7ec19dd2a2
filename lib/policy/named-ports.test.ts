import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compilePolicySet } from "./compile";
import { parsePolicyDocuments } from "./documents";
import { explainFlow } from "./explain";
import type { Explanation } from "./types";
import { type FlowSpec, flow, pod, policies } from "./test-builders";

// Named ports: a flow carries port numbers only, so `port: "http"` is resolved against the
// container port names of the workload manifests given with the policies (ingress: the
// destination's own; egress: the cluster's, when unambiguous).

const web = pod("shop", "web-1", { app: "web" }, 5001);
const api = pod("shop", "api-7d9c-x2", { app: "api" }, 5002);
const cache = pod("shop", "cache-0", { app: "cache" }, 5003);

const API_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
---
`;
const OTHER_HTTP = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: legacy, namespace: shop}
spec:
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers: [{name: legacy, ports: [{name: http, containerPort: 3000}]}]
---
`;

const cnp = (name: string, spec: string) =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
const INGRESS_HTTP = cnp(
  "api-in",
  `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web}}]\n  toPorts: [{ports: [{port: http, protocol: TCP}]}]`,
);
const INGRESS_HTTP_L7 = cnp(
  "api-in",
  `endpointSelector: {matchLabels: {app: api}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web}}]\n  toPorts:\n  - ports: [{port: http, protocol: TCP}]\n    rules:\n      http: [{method: GET}]`,
);
const CACHE_IN = cnp(
  "cache-in",
  `endpointSelector: {matchLabels: {app: cache}}\ningress:\n- fromEndpoints: [{matchLabels: {app: web}}]\n  toPorts: [{ports: [{port: http, protocol: TCP}]}]`,
);
const EGRESS_HTTP = cnp("web-out", `endpointSelector: {matchLabels: {app: web}}\negress:\n- toEndpoints: [{matchLabels: {app: api}}]\n  toPorts: [{ports: [{port: http}]}]`);
const KNP_HTTP = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api-knp, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - ports: [{port: http}]\n---\n`;

interface Case {
  name: string;
  policies: string;
  flow: FlowSpec;
  verdict: Explanation["verdict"];
  decision?: Explanation["decision"];
  decisive?: string | null;
  reason?: RegExp;
  nearMiss?: RegExp;
}

const CASES: Case[] = [
  {
    name: "ingress: http is the destination's container port 8080",
    policies: INGRESS_HTTP + API_DEPLOYMENT,
    flow: { src: web, dst: api, port: 8080 },
    verdict: "allowed",
    decision: "allow-rule",
    decisive: "CiliumNetworkPolicy/shop/api-in#ingress[0]",
  },
  {
    name: "ingress: another port is a near miss that says what http is",
    policies: INGRESS_HTTP + API_DEPLOYMENT,
    flow: { src: web, dst: api, port: 9090 },
    verdict: "denied",
    decision: "default-deny",
    nearMiss: /port 9090 is not in \[http\/TCP\] \(http is 8080\)/,
  },
  {
    name: "ingress: a pod no manifest describes leaves the name unresolved, and says so",
    policies: CACHE_IN + API_DEPLOYMENT,
    flow: { src: web, dst: cache, port: 8080 },
    verdict: "denied",
    reason: /named port "http" in ingress\[0\] is not resolved: no workload manifest given with the policies matches shop\/cache-0/,
  },
  {
    name: "ingress: another workload's use of the name does not count",
    policies: INGRESS_HTTP + API_DEPLOYMENT + OTHER_HTTP,
    flow: { src: web, dst: api, port: 3000 },
    verdict: "denied",
  },
  {
    name: "ingress: L7 rules on a named port apply",
    policies: INGRESS_HTTP_L7 + API_DEPLOYMENT,
    flow: { src: web, dst: api, port: 8080, http: { method: "PUT", url: "http://api/x" } },
    verdict: "denied",
    decision: "l7-deny",
    decisive: "CiliumNetworkPolicy/shop/api-in#ingress[0].toPorts[0].rules.http",
  },
  {
    name: "ingress: a NetworkPolicy's named port",
    policies: KNP_HTTP + API_DEPLOYMENT,
    flow: { src: web, dst: api, port: 8080 },
    verdict: "allowed",
    decisive: "NetworkPolicy/shop/api-knp#spec.ingress[0]",
  },
  {
    name: "egress: the name resolves cluster-wide when every workload agrees",
    policies: EGRESS_HTTP + API_DEPLOYMENT,
    flow: { src: web, dst: api, port: 8080, direction: "EGRESS" },
    verdict: "allowed",
    reason: /Egress at shop\/web-1 is allowed by CiliumNetworkPolicy shop\/web-out egress\[0\]/,
  },
  {
    name: "egress: conflicting numbers for the name are not resolved (as Cilium)",
    policies: EGRESS_HTTP + API_DEPLOYMENT + OTHER_HTTP,
    flow: { src: web, dst: api, port: 8080, direction: "EGRESS" },
    verdict: "denied",
    reason: /different numbers \(8080, 3000\)/,
  },
  {
    name: "egress: without any manifest, the reason says what is missing",
    policies: EGRESS_HTTP,
    flow: { src: web, dst: api, port: 8080, direction: "EGRESS" },
    verdict: "denied",
    reason: /no workload manifest given with the policies names a TCP container port "http"/,
  },
];

describe("named ports", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const e = explainFlow(flow(c.flow), policies(c.policies));
      const ctx = `${c.name}\n${JSON.stringify(e, null, 1)}`;
      assert.equal(e.verdict, c.verdict, ctx);
      if (c.decision) assert.equal(e.decision, c.decision, ctx);
      if (c.decisive !== undefined) assert.equal(e.decisive ? `${e.decisive.kind}/${e.decisive.namespace}/${e.decisive.name}#${e.decisive.rule}` : null, c.decisive, ctx);
      if (c.reason) assert.match(e.reason, c.reason, ctx);
      if (c.nearMiss)
        assert.ok(
          e.nearMisses.some((n) => c.nearMiss!.test(n.why)),
          ctx,
        );
    });
  }

  it("reads named container ports from every workload kind, and skips workloads that name none", () => {
    const r = parsePolicyDocuments(
      `${API_DEPLOYMENT}apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: ops, labels: {run: debug}}\nspec: {containers: [{name: c, ports: [{name: dns, containerPort: 53, protocol: UDP}]}]}\n---\n` +
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {job: report}}, spec: {containers: [{name: c, ports: [{name: web, containerPort: 80}]}]}}}}}\n---\n` +
        `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: plain, namespace: ops}\nspec: {template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, ports: [{containerPort: 9100}]}]}}}\n`,
      "manifests.yaml",
    );
    assert.deepEqual(
      r.workloads.map((w) => [w.workload, w.podLabels, w.ports.map((p) => `${p.name}=${p.port}/${p.protocol}`)]),
      [
        ["Deployment shop/api", { app: "api" }, ["http=8080/TCP", "metrics=9090/TCP"]],
        ["Pod ops/debug", { run: "debug" }, ["dns=53/UDP"]],
        ["CronJob default/report", { job: "report" }, ["web=80/TCP"]],
      ],
    );
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /skipped: not a network policy \(kind DaemonSet\)/);
  });

  it("reads the set's workload ports defensively: bad entries are skipped, good ones used", () => {
    const c = policies(INGRESS_HTTP);
    const hostile = [
      null,
      3,
      "x",
      { namespace: "shop", ports: [{ name: "http", port: "x" }, null] },
      { namespace: "shop", podLabels: { app: "api" }, ports: [{ name: "http", port: 8080 }] },
    ];
    const compiled = compilePolicySet({ ...c.set, workloadPorts: hostile as never });
    assert.equal(explainFlow(flow({ src: web, dst: api, port: 8080 }), compiled).decision, "allow-rule");
  });
});
