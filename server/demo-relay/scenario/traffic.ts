import "server-only";
import type { ScenarioSpec, TrafficSpec, WorkloadSpec } from "./schema";

// Facts about a traffic pattern that the simulator (and, through it, the outcome check) derives the
// same way: the resolved endpoints, the server port and transport, and the L7 requests made.

export type PatternEnd = { kind: "pod"; workload: WorkloadSpec } | { kind: "world"; fqdn: string; ips: string[] } | { kind: "host" | "remote-node" | "kube-apiserver" };

export function resolveEnd(s: ScenarioSpec, ref: string): PatternEnd {
  if (ref.startsWith("world:")) {
    const w = s.entities.world.find((x) => x.fqdn === ref.slice(6));
    if (!w) throw new Error(`unknown world FQDN ${ref}`);
    return { kind: "world", fqdn: w.fqdn, ips: w.ips };
  }
  if (ref === "host" || ref === "remote-node" || ref === "kube-apiserver") return { kind: ref };
  const [ns, name] = ref.split("/");
  const workload = s.workloads.find((w) => w.namespace === ns && w.name === name);
  if (!workload) throw new Error(`unknown workload ${ref}`);
  return { kind: "pod", workload };
}

const DEFAULT_PORT: Record<TrafficSpec["protocol"], number> = {
  http: 80,
  grpc: 50051,
  dns: 53,
  kafka: 9092,
  tcp: 5432,
  tls: 443,
  "cilium-health": 4240,
};

/** The port the server side listens on (what flows and policies see after service translation). */
export function serverPort(s: ScenarioSpec, t: TrafficSpec): number {
  if (t.port) return t.port;
  if (t.to === "kube-apiserver") return s.entities.kubeApiserver.port;
  const to = t.to ? resolveEnd(s, t.to) : undefined;
  if (to?.kind === "pod" && to.workload.service) return to.workload.service.targetPort ?? to.workload.service.port;
  return DEFAULT_PORT[t.protocol];
}

export function transport(t: TrafficSpec): "TCP" | "UDP" {
  return t.protocol === "dns" ? "UDP" : "TCP";
}

/** Search-path expansion a resolver tries first (answered NXDOMAIN by kube-dns). */
export function searchExpansion(name: string, clientNamespace: string | undefined): string {
  return `${name}.${clientNamespace ?? "default"}.svc.cluster.local`;
}
