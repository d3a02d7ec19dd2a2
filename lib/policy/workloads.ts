// Named container ports from workload manifests (a GitOps checkout holds the Deployments next to
// the policies): the pod template's labels and the names of its containers' ports. Rules with
// `port: "http"` are resolved against them (named-ports.ts). Manifests are user input: every
// read checks its type.

import type { NamedPort, WorkloadPorts } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where each kind keeps its pod template: [labels holder, pod spec holder]. */
function podTemplate(kind: string, obj: Obj): { metadata: unknown; spec: unknown } | undefined {
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  switch (kind) {
    case "Pod":
      return { metadata: obj.metadata, spec };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "ReplicationController":
    case "Job": {
      const t = isObj(spec?.template) ? spec.template : undefined;
      return t ? { metadata: t.metadata, spec: t.spec } : undefined;
    }
    case "CronJob": {
      const jt = isObj(spec?.jobTemplate) && isObj(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
      const t = isObj(jt?.template) ? jt.template : undefined;
      return t ? { metadata: t.metadata, spec: t.spec } : undefined;
    }
    default:
      return undefined;
  }
}

/** The workload's named container ports, or undefined when it is no workload or names none. */
export function workloadPortsFromObject(obj: Obj, kind: string, name: string): WorkloadPorts | undefined {
  const t = podTemplate(kind, obj);
  if (!t || !isObj(t.spec)) return undefined;
  const ports: NamedPort[] = [];
  for (const list of [t.spec.containers, t.spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list.slice(0, 100)) {
      if (!isObj(c) || !Array.isArray(c.ports)) continue;
      for (const p of c.ports.slice(0, 100)) {
        if (!isObj(p) || typeof p.name !== "string" || p.name === "" || typeof p.containerPort !== "number") continue;
        const protocol = typeof p.protocol === "string" ? p.protocol.toUpperCase() : "TCP";
        if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP") continue;
        ports.push({ name: p.name.slice(0, 63), port: p.containerPort, protocol });
      }
    }
  }
  if (ports.length === 0) return undefined;
  const metadata = isObj(obj.metadata) ? obj.metadata : {};
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : "default";
  const labels: Record<string, string> = {};
  const tm = isObj(t.metadata) && isObj(t.metadata.labels) ? t.metadata.labels : {};
  for (const [k, v] of Object.entries(tm)) if (typeof v === "string") labels[k] = v;
  // A pod template without labels would match every pod of the namespace: a bare Pod is named instead.
  if (Object.keys(labels).length === 0 && kind !== "Pod") return undefined;
  return { namespace, workload: `${kind} ${namespace}/${name}`.slice(0, 300), podLabels: labels, ports };
}
