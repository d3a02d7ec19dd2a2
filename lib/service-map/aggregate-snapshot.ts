// The service map's snapshot objects: what a node's and an edge's tallies look like to the map.

import { type EdgeAcc, type NodeAcc, verdictMix } from "./aggregate-counts";
import type { DnsNameSummary, HttpEndpointSummary, ServiceMapEdge, ServiceMapNode } from "./types";

/** Flows per second of an edge over the snapshot's window. */
export function edgeFlowsPerSecond(edge: ServiceMapEdge, windowMs: number): number {
  return edge.flows / (Math.max(1000, windowMs) / 1000);
}

/** A node as the snapshot lists it, with its `listed` busiest HTTP endpoints and DNS names. */
export function nodeSnapshot(n: NodeAcc, listed: number): ServiceMapNode {
  const httpEndpoints: HttpEndpointSummary[] = n.endpoints
    ? [...n.endpoints.values()]
        .sort((a, b) => b.requests + b.responses - (a.requests + a.responses) || cmp(a.path, b.path) || cmp(a.method, b.method))
        .slice(0, listed)
        .map((e) => ({ ...e }))
    : [];
  const dnsNames: DnsNameSummary[] = n.dns
    ? [...n.dns.values()]
        .sort((a, b) => b.queries - a.queries || cmp(a.name, b.name))
        .slice(0, listed)
        .map((d) => ({ name: d.name, queries: d.queries, errors: d.errors }))
    : [];
  return {
    id: n.id,
    kind: n.kind,
    entity: n.entity,
    label: n.label,
    namespace: n.namespace,
    workloadKind: n.workloadKind,
    kubeDns: n.kubeDns,
    identities: [...n.identities],
    ...(n.endpoint ? { endpoint: n.endpoint } : {}),
    flowsIn: n.flowsIn,
    flowsOut: n.flowsOut,
    httpEndpoints,
    httpEndpointsOverflow: n.endpointsOverflow,
    dnsNames,
    dnsNamesOverflow: n.dnsOverflow,
  };
}

export function edgeSnapshot(e: EdgeAcc): ServiceMapEdge {
  const [forwarded, dropped, audit, redirected, error, other] = e.verdicts;
  const h = e.http;
  return {
    id: e.id,
    source: e.source,
    target: e.target,
    port: e.port,
    protocol: e.protocol,
    folded: e.folded,
    flows: e.flows,
    replies: e.replies,
    encrypted: e.encrypted,
    authenticated: e.authenticated,
    verdicts: { forwarded, dropped, audit, redirected, error, other },
    mix: verdictMix(e.verdicts),
    http: h && {
      requests: h.requests,
      responses: h.responses,
      status4xx: h.s4xx,
      status5xx: h.s5xx,
      errorPercent: h.responses > 0 ? (h.s5xx / h.responses) * 100 : undefined,
      p50Ms: h.latency.quantileMs(0.5),
      p95Ms: h.latency.quantileMs(0.95),
    },
    dns: e.dns && { ...e.dns },
    lastSeenMs: e.lastSeenMs,
  };
}

/** Code-unit order (not locale order), so snapshots sort the same everywhere. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
