import "server-only";
import type { ScenarioSpec, WorkloadSpec } from "./schema";

// Identity labels as Cilium derives them for a pod, in Hubble's "source:key=value" form,
// sorted the way Hubble prints them.

export function workloadIdentityLabels(scenario: Pick<ScenarioSpec, "cluster" | "namespaces">, w: WorkloadSpec): string[] {
  const ns = scenario.namespaces.find((n) => n.name === w.namespace);
  const nsLabels: Record<string, string> = { "kubernetes.io/metadata.name": w.namespace, ...(ns?.labels ?? {}) };
  const out = Object.entries(w.labels).map(([k, v]) => `k8s:${k}=${v}`);
  for (const [k, v] of Object.entries(nsLabels)) out.push(`k8s:io.cilium.k8s.namespace.labels.${k}=${v}`);
  out.push(`k8s:io.cilium.k8s.policy.cluster=${scenario.cluster}`);
  out.push(`k8s:io.cilium.k8s.policy.serviceaccount=${w.serviceAccount}`);
  out.push(`k8s:io.kubernetes.pod.namespace=${w.namespace}`);
  return out.sort();
}

export const RESERVED = {
  host: { identity: 1, labels: ["reserved:host"] },
  world: { identity: 2, labels: ["reserved:world"] },
  health: { identity: 4, labels: ["reserved:health"] },
  "remote-node": { identity: 6, labels: ["reserved:remote-node"] },
  "kube-apiserver": { identity: 7, labels: ["reserved:kube-apiserver"] },
} as const;

export type ReservedEntity = keyof typeof RESERVED;

/** A label string split into Cilium's (source, key, value). */
export type ParsedLabel = { source: string; key: string; value: string };

export function parseLabel(label: string): ParsedLabel {
  const colon = label.indexOf(":");
  const source = colon > 0 ? label.slice(0, colon) : "any";
  const rest = colon > 0 ? label.slice(colon + 1) : label;
  const eq = rest.indexOf("=");
  return eq < 0 ? { source, key: rest, value: "" } : { source, key: rest.slice(0, eq), value: rest.slice(eq + 1) };
}
