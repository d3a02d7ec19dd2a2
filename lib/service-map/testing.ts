// Small builders of FlowRow for the service-map tests and bench. Fixed timestamps; no randomness.

import type { FlowEndpointView, FlowL7View, FlowRow } from "../flow-model";

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

export function pod(namespace: string, workload: string, extra: Partial<FlowEndpointView> = {}): FlowEndpointView {
  return {
    namespace,
    pod: `${workload}-7d9f-abcde`,
    workload,
    workloadKind: "Deployment",
    identity: 1000 + (hash(`${namespace}/${workload}`) % 50_000),
    labels: [`k8s:app=${workload}`, `k8s:io.kubernetes.pod.namespace=${namespace}`],
    ip: "10.0.0.1",
    port: undefined,
    names: [],
    service: "",
    cluster: "default",
    entity: undefined,
    ...extra,
  };
}

export function world(names: readonly string[] = [], extra: Partial<FlowEndpointView> = {}): FlowEndpointView {
  return {
    namespace: "",
    pod: "",
    workload: "",
    workloadKind: "",
    identity: 2,
    labels: ["reserved:world"],
    ip: "203.0.113.10",
    port: undefined,
    names,
    service: "",
    cluster: "",
    entity: "world",
    ...extra,
  };
}

export function entity(kind: "host" | "remote-node" | "kube-apiserver", extra: Partial<FlowEndpointView> = {}): FlowEndpointView {
  const identity = { host: 1, "remote-node": 6, "kube-apiserver": 7 }[kind];
  return { ...world([], { identity, labels: [`reserved:${kind}`], entity: kind, ip: "10.0.0.254" }), ...extra };
}

export interface RowSpec {
  source: FlowEndpointView;
  destination: FlowEndpointView;
  dport?: number;
  sport?: number;
  proto?: string;
  verdict?: string;
  isReply?: boolean;
  l7?: FlowL7View;
  t?: number;
  id?: string;
  encrypted?: boolean;
  authType?: string;
}

let seq = 0;

export function flow(spec: RowSpec): FlowRow {
  const t = spec.t ?? T0;
  const reply = spec.isReply === true;
  return {
    id: spec.id ?? `row-${++seq}`,
    time: new Date(t).toISOString(),
    timeMs: t,
    verdict: spec.verdict ?? "FORWARDED",
    dropReason: spec.verdict === "DROPPED" ? "POLICY_DENIED" : "",
    eventType: spec.l7 ? 129 : 4,
    eventSubType: 0,
    flowType: spec.l7 ? "L7" : "L3_L4",
    source: { ...spec.source, port: spec.sport ?? (reply ? spec.dport : 40000) },
    destination: { ...spec.destination, port: reply ? 40000 : spec.dport },
    l4Protocol: spec.proto ?? "TCP",
    tcpFlags: [],
    l7: spec.l7,
    direction: "EGRESS",
    isReply: spec.isReply,
    node: "node-1",
    summary: "",
    traceObservationPoint: "",
    policyMatchType: 0,
    encrypted: spec.encrypted ?? false,
    authType: spec.authType ?? "",
    allowedBy: [],
    deniedBy: [],
  };
}

export function httpRequest(method: string, path: string): FlowL7View {
  return { kind: "http", type: "REQUEST", latencyNs: undefined, httpMethod: method, httpUrl: `http://svc${path}`, httpPath: path };
}

export function httpResponse(method: string, path: string, code: number, latencyMs: number): FlowL7View {
  return { ...httpRequest(method, path), type: "RESPONSE", httpCode: code, latencyNs: latencyMs * 1e6 };
}

export function dnsRequest(query: string): FlowL7View {
  return { kind: "dns", type: "REQUEST", latencyNs: undefined, dnsQuery: query };
}

export function dnsResponse(query: string, rcode: number): FlowL7View {
  return { kind: "dns", type: "RESPONSE", latencyNs: 1e6, dnsQuery: query, dnsRcode: rcode };
}

/** A deterministic mesh: `workloads` workloads in `namespaces` namespaces calling each other. */
export function syntheticRows(count: number, workloads = 300, namespaces = 10): FlowRow[] {
  const eps = Array.from({ length: workloads }, (_, i) => pod(`ns-${i % namespaces}`, `svc-${i}`));
  const out: FlowRow[] = [];
  for (let i = 0; i < count; i++) {
    const a = (i * 7919) % workloads;
    // Each workload calls five others: 5 × workloads edges once every pair has been seen.
    const b = (a + 1 + (Math.floor(i / workloads) % 5)) % workloads;
    const kind = i % 10;
    const isReply = kind === 3 || kind === 6;
    const src = isReply ? eps[b] : eps[a];
    const dst = isReply ? eps[a] : eps[b];
    out.push(
      flow({
        id: `s-${i}`,
        source: src,
        destination: dst,
        dport: 8080,
        isReply,
        verdict: kind === 7 ? "DROPPED" : "FORWARDED",
        l7: kind === 5 ? httpRequest("GET", `/items/${i}`) : kind === 6 ? httpResponse("GET", `/items/${i}`, i % 13 === 0 ? 503 : 200, 1 + (i % 50)) : undefined,
        t: T0 + i,
      }),
    );
  }
  return out;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
