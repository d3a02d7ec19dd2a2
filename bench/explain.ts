// The policy explainer's speed: compiling a policy set, and explaining flows (the browser explains
// every drop of the live table with it). Baseline in the same run: toFlowRow, the per-flow work the
// browser already does for every flow, so the ratio says what explaining adds.
//
// Run: npm run bench:explain [-- --policies 200 --flows 20000 --rounds 5]
//
// CPU time (process.cpuUsage), best of the rounds: the machine may be shared, and waiting for a
// core is not the explainer's cost.
import { parseArgs } from "node:util";
import { toFlowRow } from "@/lib/flow-model";
import { compilePolicySet, explainFlow, parsePolicyDocuments } from "@/lib/policy";
import { flow, pod } from "@/lib/policy/test-builders";
import { DEFAULT_SETTINGS } from "@/lib/policy/types";

const { values } = parseArgs({
  options: { policies: { type: "string", default: "200" }, flows: { type: "string", default: "20000" }, rounds: { type: "string", default: "5" } },
});
const nPolicies = Number(values.policies);
const nFlows = Number(values.flows);
const rounds = Number(values.rounds);

const cnp = (i: number) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: p${i}, namespace: ns${i % 20}}
spec:
  endpointSelector: {matchLabels: {app: svc${i}}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client${i}}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]
  egress:
  - toEndpoints: [{matchLabels: {app: db}}]
    toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
`;
const parsed = parsePolicyDocuments(Array.from({ length: nPolicies }, (_, i) => cnp(i)).join("---\n"), "bench.yaml");

function cpuMs(fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

const compileMs = cpuMs(() => compilePolicySet({ policies: parsed.policies, namespaceLabels: {}, settings: DEFAULT_SETTINGS }));
const compiled = compilePolicySet({ policies: parsed.policies, namespaceLabels: {}, settings: DEFAULT_SETTINGS });

const svc = (i: number) => pod(`ns${i % 20}`, `svc-${i}`, { app: `svc${i}` }, 3000 + i);
const kinds = {
  allowed: (i: number) => flow({ src: pod(`ns${i % 20}`, `c-${i}`, { app: `client${i}` }), dst: svc(i), port: 8080, http: { method: "GET", url: "http://svc/api/x" } }),
  "default-deny": (i: number) => flow({ src: pod(`ns${i % 20}`, `x-${i}`, { app: "other" }), dst: svc(i), port: 8080, verdict: "DROPPED", dropReason: "POLICY_DENIED" }),
  "l7-deny": (i: number) =>
    flow({ src: pod(`ns${i % 20}`, `c-${i}`, { app: `client${i}` }), dst: svc(i), port: 8080, verdict: "DROPPED", http: { method: "DELETE", url: "http://svc/admin" } }),
};

console.log(`policies: ${nPolicies} CiliumNetworkPolicies; compile: ${compileMs.toFixed(1)} ms CPU (best of ${rounds})`);
console.log("| flows | explanations/s | toFlowRow/s (baseline) | explain ÷ baseline time |");
console.log("|---|---|---|---|");
for (const [name, make] of Object.entries(kinds)) {
  const flows = Array.from({ length: 64 }, (_, i) => make(i % nPolicies));
  for (let i = 0; i < 2000; i++) explainFlow(flows[i % flows.length], compiled); // warm up the JIT
  const explainMs = cpuMs(() => {
    for (let i = 0; i < nFlows; i++) explainFlow(flows[i % flows.length], compiled);
  });
  const baseMs = cpuMs(() => {
    for (let i = 0; i < nFlows; i++) toFlowRow(flows[i % flows.length] as never);
  });
  const rate = (ms: number) => Math.round(nFlows / (ms / 1000)).toLocaleString("en-US");
  console.log(`| ${name} | ${rate(explainMs)} | ${rate(baseMs)} | ${(explainMs / baseMs).toFixed(1)}× |`);
}
