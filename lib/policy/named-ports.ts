// Named ports (`toPorts[].ports[].port: "http"`): Cilium resolves the name against container
// port names, which a Hubble flow does not carry (it has numbers only). The names come from the
// workload manifests given with the policies (Pod, Deployment, StatefulSet, DaemonSet, …: pod
// template labels + containers[].ports[].name). Resolution follows the agent:
//   - ingress: the destination endpoint's own container ports (the workloads whose pod labels
//     it carries, in its namespace);
//   - egress: every workload's ports in the cluster; a name only resolves when all of them give
//     it the same number (Cilium's named-port map refuses conflicting numbers).
// When no manifest names the port, it stays unresolved: the entry never matches and the reason
// says which information was missing (never a guess from IANA names).

import type { L4 } from "./flow";
import type { FlowSide } from "./flow";
import type { NamedPort, WorkloadPorts } from "./types";

export interface NamedPortIndex {
  readonly workloads: readonly WorkloadPorts[];
  /** name/protocol → the numbers all workloads give it (egress resolution). */
  readonly clusterWide: ReadonlyMap<string, ReadonlySet<number>>;
}

export type Resolution = { readonly port: number } | { readonly port: undefined; readonly why: string };

const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);

/** Reads the set's workload ports defensively (they may come from an old saved set or hostile JSON). */
export function buildNamedPortIndex(given: unknown): NamedPortIndex {
  const workloads: WorkloadPorts[] = [];
  const clusterWide = new Map<string, Set<number>>();
  for (const w of Array.isArray(given) ? given.slice(0, 20_000) : []) {
    if (typeof w !== "object" || w === null) continue;
    const o = w as Record<string, unknown>;
    if (typeof o.namespace !== "string" || !Array.isArray(o.ports)) continue;
    const podLabels: Record<string, string> = {};
    if (typeof o.podLabels === "object" && o.podLabels !== null) for (const [k, v] of Object.entries(o.podLabels)) if (typeof v === "string") podLabels[k] = v;
    const ports: NamedPort[] = [];
    for (const p of o.ports) {
      const po = typeof p === "object" && p !== null ? (p as Record<string, unknown>) : {};
      const protocol = typeof po.protocol === "string" ? po.protocol.toUpperCase() : "TCP";
      if (typeof po.name !== "string" || typeof po.port !== "number" || !PROTOCOLS.has(protocol)) continue;
      ports.push({ name: po.name, port: po.port, protocol: protocol as NamedPort["protocol"] });
      const key = `${po.name}/${protocol}`;
      let set = clusterWide.get(key);
      if (!set) clusterWide.set(key, (set = new Set()));
      set.add(po.port);
    }
    workloads.push({ namespace: o.namespace, workload: typeof o.workload === "string" ? o.workload : "?", podLabels, ports });
  }
  return { workloads, clusterWide };
}

/** The number `name` stands for at this flow's destination, or why it cannot be told. */
export function resolveNamedPort(index: NamedPortIndex, name: string, l4: L4, direction: "ingress" | "egress", destination: FlowSide): Resolution {
  if (l4.proto !== "TCP" && l4.proto !== "UDP" && l4.proto !== "SCTP") return { port: undefined, why: "not a port protocol" };
  if (direction === "egress") {
    const numbers = index.clusterWide.get(`${name}/${l4.proto}`);
    if (!numbers || numbers.size === 0) return { port: undefined, why: `no workload manifest given with the policies names a ${l4.proto} container port ${JSON.stringify(name)}` };
    if (numbers.size > 1)
      return {
        port: undefined,
        why: `workloads give the ${l4.proto} port name ${JSON.stringify(name)} different numbers (${[...numbers].slice(0, 4).join(", ")}), which Cilium refuses to resolve on egress`,
      };
    return { port: [...numbers][0]! };
  }
  if (destination.kind !== "pod") return { port: undefined, why: "the destination is not a pod, so it has no container ports" };
  const mine = index.workloads.filter((w) => w.namespace === destination.namespace && Object.entries(w.podLabels).every(([k, v]) => destination.labels.get("k8s", k) === v));
  const ports = mine.flatMap((w) => w.ports.filter((p) => p.name === name && p.protocol === l4.proto));
  if (ports.length === 0) {
    return {
      port: undefined,
      why: mine.length
        ? `${mine[0]!.workload} declares no ${l4.proto} container port ${JSON.stringify(name)}`
        : `no workload manifest given with the policies matches ${destination.namespace}/${destination.podName || "the destination"}, so its container port names are unknown`,
    };
  }
  // Several matching manifests (rollouts, look-alike selectors) may disagree: the flow's port wins if any gives it.
  return { port: (ports.find((p) => l4.port === p.port) ?? ports[0]!).port };
}
