// Small builders for explainer tests: flows in the `hubble observe -o json` form and policy
// sets from YAML. Test-only, but pure, so it lives beside the code it serves.

import { compilePolicySet } from "./compile";
import { parsePolicyDocuments } from "./documents";
import type { CompiledPolicySet } from "./model";
import { type ClusterSettings, DEFAULT_SETTINGS } from "./types";

export type Endpoint = Record<string, unknown>;

export function pod(ns: string, name: string, labels: Record<string, string>, identity = 1000 + name.length): Endpoint {
  return {
    ID: 100,
    identity,
    namespace: ns,
    pod_name: name,
    labels: [
      ...Object.entries(labels).map(([k, v]) => `k8s:${k}=${v}`),
      `k8s:io.kubernetes.pod.namespace=${ns}`,
      "k8s:io.cilium.k8s.policy.cluster=default",
      "k8s:io.cilium.k8s.policy.serviceaccount=default",
    ],
  };
}

export const HOST: Endpoint = { identity: 1, labels: ["reserved:host"] };
export const REMOTE_NODE: Endpoint = { identity: 6, labels: ["reserved:remote-node"] };
export const KUBE_APISERVER: Endpoint = { identity: 7, labels: ["reserved:kube-apiserver"] };
export const WORLD: Endpoint = { identity: 2, labels: ["reserved:world"] };

export interface FlowSpec {
  src: Endpoint;
  dst: Endpoint;
  srcIp?: string;
  dstIp?: string;
  port?: number;
  /** Source port; for replies and responses the server's port (default 40000). */
  srcPort?: number;
  proto?: "TCP" | "UDP" | "SCTP" | "ICMPv4";
  icmpType?: number;
  verdict?: string;
  dropReason?: string;
  direction?: "INGRESS" | "EGRESS";
  isReply?: boolean;
  http?: { method: string; url: string; headers?: { key: string; value: string }[]; code?: number };
  /** The L7 record's type (default REQUEST); a RESPONSE goes server → client. */
  l7Type?: "REQUEST" | "RESPONSE";
  dns?: string;
  destinationNames?: string[];
  extra?: Record<string, unknown>;
}

export function flow(s: FlowSpec): Record<string, unknown> {
  const proto = s.proto ?? "TCP";
  const l4 = proto === "ICMPv4" ? { ICMPv4: { type: s.icmpType ?? 8 } } : { [proto]: { source_port: s.srcPort ?? 40000, destination_port: s.port ?? 80 } };
  const f: Record<string, unknown> = {
    time: "2026-01-01T00:00:00Z",
    verdict: s.verdict ?? "FORWARDED",
    IP: { source: s.srcIp ?? "10.0.1.10", destination: s.dstIp ?? "10.0.2.20", ipVersion: "IPv4" },
    l4,
    source: s.src,
    destination: s.dst,
    Type: s.http || s.dns ? "L7" : "L3_L4",
    node_name: "node-1",
    event_type: { type: s.http || s.dns ? 129 : s.verdict === "DROPPED" ? 1 : 4 },
    traffic_direction: s.direction ?? "INGRESS",
    is_reply: s.isReply ?? false,
    ...(s.destinationNames ? { destination_names: s.destinationNames } : {}),
    ...(s.dropReason ? { drop_reason_desc: s.dropReason } : {}),
    ...(s.http ? { l7: { type: s.l7Type ?? "REQUEST", http: { protocol: "HTTP/1.1", ...s.http } } } : {}),
    ...(s.dns ? { l7: { type: s.l7Type ?? "REQUEST", dns: { query: s.dns } } } : {}),
    ...s.extra,
  };
  return f;
}

export function policies(yamlText: string, settings: Partial<ClusterSettings> = {}, namespaceLabels: Record<string, Record<string, string>> = {}): CompiledPolicySet {
  const parsed = parsePolicyDocuments(yamlText, "test.yaml");
  if (parsed.problems.length) throw new Error(`test policies have problems: ${JSON.stringify(parsed.problems)}`);
  return compilePolicySet({
    policies: parsed.policies,
    namespaceLabels: { ...parsed.namespaces, ...namespaceLabels },
    workloadPorts: parsed.workloads,
    settings: { ...DEFAULT_SETTINGS, ...settings },
  });
}
