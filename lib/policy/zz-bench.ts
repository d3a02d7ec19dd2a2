import { explainFlow } from "./explain";
import { flow, pod, policies } from "./test-builders";
const cnp = (name: string, ns: string, spec: string) => `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^/gm, "  ")}\n---\n`;
const yaml = Array.from({ length: 200 }, (_, i) => cnp(`p${i}`, `ns${i % 20}`, `endpointSelector: {matchLabels: {app: svc${i}}}\ningress:\n- fromEndpoints: [{matchLabels: {app: client${i}}}]\n  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]`)).join("");
const c = policies(yaml);
const ok = flow({ src: pod("ns3", "c", { app: "client3" }), dst: pod("ns3", "s", { app: "svc3" }), port: 8080 });
const bad = flow({ src: pod("ns3", "c", { app: "client4" }), dst: pod("ns3", "s", { app: "svc3" }), port: 8080, verdict: "DROPPED", dropReason: "POLICY_DENIED" });
for (const [n, f] of [["ok", ok], ["bad", bad]] as const) {
  const t = performance.now();
  for (let i = 0; i < 20000; i++) explainFlow(f, c);
  console.log(n, Math.round(20000 / ((performance.now() - t) / 1000)));
}
