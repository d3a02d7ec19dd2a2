import "server-only";
import { create } from "@bufbuild/protobuf";
import { type Endpoint, EndpointSchema, WorkloadSchema } from "../../../proto/gen/flow/flow_pb";
import { RESERVED, workloadIdentityLabels } from "../scenario/identity";
import type { Scenario, WorkloadSpec } from "../scenario/schema";
import { fnv1a } from "./prng";

// The concrete cluster behind a scenario: nodes with pod CIDRs, pods with names, IPs,
// endpoint ids, MACs and interfaces, service cluster IPs, and the prebuilt (immutable)
// flow Endpoint messages for each pod as seen from its own node and from elsewhere.

export type NodeInfo = {
  index: number;
  name: string;
  /** node_name as Hubble reports it: bare when the cluster is "default", else cluster/node. */
  flowName: string;
  ip: string;
  labels: string[];
  /** First three octets of the node's /24 pod CIDR. */
  podPrefix: string;
  /** cilium_host address, the source of host-originated pod traffic. */
  routerIp: string;
  healthIp: string;
  healthEndpointId: number;
  hostEp: Endpoint;
  remoteNodeEp: Endpoint;
  healthLocalEp: Endpoint;
  healthRemoteEp: Endpoint;
};

export type PodInfo = {
  name: string;
  namespace: string;
  workload: WorkloadSpec;
  node: NodeInfo;
  ip: string;
  endpointId: number;
  mac: string;
  lxcMac: string;
  lxcName: string;
  lxcIndex: number;
  identity: number;
  /** As seen on its own node (with the local endpoint ID). */
  localEp: Endpoint;
  /** As seen on any other node. */
  remoteEp: Endpoint;
};

export type ServiceInfo = { name: string; namespace: string; clusterIp: string; port: number };

const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function k8sSuffix(seed: string, length: number): string {
  let h = fnv1a(seed);
  let out = "";
  for (let i = 0; i < length; i++) {
    out += K8S_ALPHABET[h % K8S_ALPHABET.length];
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    if (h === 0) h = fnv1a(seed + i);
  }
  return out;
}

function mac(seed: string): string {
  const a = fnv1a(seed);
  const b = fnv1a(`${seed}#2`);
  const bytes = [((a >>> 24) & 0xfe) | 0x02, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, (b >>> 8) & 255, b & 255];
  return bytes.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function reservedEp(kind: keyof typeof RESERVED, id = 0): Endpoint {
  const r = RESERVED[kind];
  return create(EndpointSchema, { ID: id, identity: r.identity, labels: [...r.labels] });
}

export function defaultIdentity(w: WorkloadSpec): number {
  return w.identity ?? 256 + (fnv1a(`identity:${w.namespace}/${w.name}`) % 65000);
}

export class Topology {
  readonly nodes: NodeInfo[];
  readonly pods: PodInfo[] = [];
  readonly podsByWorkload = new Map<string, PodInfo[]>();
  readonly services = new Map<string, ServiceInfo>();
  readonly worldEp = reservedEp("world");
  readonly apiserverEp = reservedEp("kube-apiserver");

  constructor(readonly scenario: Scenario) {
    const usedIds = new Map<number, Set<number>>();
    const nextHost = new Map<number, number>();
    const nextIf = new Map<number, number>();
    const takeId = (node: number, seed: string) => {
      const used = usedIds.get(node) ?? new Set<number>();
      usedIds.set(node, used);
      let id = 1 + (fnv1a(seed) % 4000);
      while (used.has(id)) id = (id % 4095) + 1;
      used.add(id);
      return id;
    };
    this.nodes = scenario.nodes.map((n, index) => {
      const prefix = (n.podCIDR ?? `10.244.${index}.0/24`).replace(/\.0\/24$/, "");
      nextHost.set(index, 10);
      nextIf.set(index, 8);
      const healthEndpointId = takeId(index, `health:${n.name}`);
      return {
        index,
        name: n.name,
        flowName: scenario.cluster === "default" ? n.name : `${scenario.cluster}/${n.name}`,
        ip: n.ip,
        labels: Object.entries(n.labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
        routerIp: `${prefix}.1`,
        healthIp: `${prefix}.2`,
        healthEndpointId,
        hostEp: reservedEp("host"),
        remoteNodeEp: reservedEp("remote-node"),
        healthLocalEp: reservedEp("health", healthEndpointId),
        healthRemoteEp: reservedEp("health"),
        podPrefix: prefix,
      };
    });

    for (const w of scenario.workloads) {
      const key = `${w.namespace}/${w.name}`;
      const eligible = this.nodes.filter((n) => !w.nodes || w.nodes.includes(n.name));
      const names = podNames(w, eligible.length);
      const start = fnv1a(key) % eligible.length;
      const labels = workloadIdentityLabels(scenario, w);
      const identity = defaultIdentity(w);
      const workloads = w.kind === "Pod" ? [] : [create(WorkloadSchema, { name: w.name, kind: w.kind })];
      const pods: PodInfo[] = names.map((name, i) => {
        const node = eligible[(w.kind === "DaemonSet" ? i : start + i) % eligible.length];
        const host = nextHost.get(node.index)!;
        nextHost.set(node.index, host + 1 + (fnv1a(name) % 3));
        const lxcIndex = nextIf.get(node.index)!;
        nextIf.set(node.index, lxcIndex + 2);
        const endpointId = takeId(node.index, `ep:${key}:${name}`);
        const base = { identity, clusterName: scenario.cluster, namespace: w.namespace, labels, podName: name, workloads };
        return {
          name,
          namespace: w.namespace,
          workload: w,
          node,
          ip: `${node.podPrefix}.${host}`,
          endpointId,
          mac: mac(`pod:${key}:${name}`),
          lxcMac: mac(`lxc:${key}:${name}`),
          lxcName: `lxc${fnv1a(`if:${name}`).toString(16).padStart(8, "0")}${(fnv1a(name) & 0xffff).toString(16).padStart(4, "0")}`,
          lxcIndex,
          identity,
          localEp: create(EndpointSchema, { ...base, ID: endpointId }),
          remoteEp: create(EndpointSchema, base),
        };
      });
      this.pods.push(...pods);
      this.podsByWorkload.set(key, pods);
      if (w.service) {
        const clusterIp = w.service.name === "kube-dns" ? "10.96.0.10" : `10.96.${fnv1a(`svc:${key}`) % 250}.${1 + (fnv1a(`svc2:${key}`) % 250)}`;
        this.services.set(key, { name: w.service.name, namespace: w.namespace, clusterIp, port: w.service.port });
      }
    }
  }

  /** The pod's Endpoint message as reported by `node`. */
  endpointOf(pod: PodInfo, node: NodeInfo): Endpoint {
    return pod.node === node ? pod.localEp : pod.remoteEp;
  }
}

function podNames(w: WorkloadSpec, eligibleNodes: number): string[] {
  const key = `${w.namespace}/${w.name}`;
  switch (w.kind) {
    case "Pod":
      return [w.name];
    case "StatefulSet":
      return Array.from({ length: w.replicas }, (_, i) => `${w.name}-${i}`);
    case "DaemonSet":
      return Array.from({ length: eligibleNodes }, (_, i) => `${w.name}-${k8sSuffix(`${key}:${i}`, 5)}`);
    default: {
      const rs = k8sSuffix(`rs:${key}`, 10);
      return Array.from({ length: w.replicas }, (_, i) => `${w.name}-${rs}-${k8sSuffix(`${key}:${i}`, 5)}`);
    }
  }
}
