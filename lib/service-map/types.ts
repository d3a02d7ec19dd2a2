// What the service map shows: nodes (workloads, apps, identities or reserved entities) and edges
// (source → destination per destination port and protocol), as produced by `ServiceMapModel`.
// Every string field except ids may carry hostile text from the cluster: render it as text only.

import type { EntityKind } from "../flow-model";
import type { Grouping } from "../view-state";

/** `namespace`: a collapsed namespace (lib/service-map/collapse.ts), never produced by the aggregation. */
export type ServiceMapNodeKind = "workload" | "app" | "identity" | "world" | "entity" | "unknown" | "namespace";

export interface HttpEndpointSummary {
  /** Method as seen, bounded. */
  readonly method: string;
  /** Path with ids collapsed (`/orders/:id`), bounded. */
  readonly path: string;
  readonly requests: number;
  readonly responses: number;
  readonly status5xx: number;
}

export interface DnsNameSummary {
  readonly name: string;
  readonly queries: number;
  /** Responses with a non-zero rcode (NXDOMAIN, SERVFAIL, …). */
  readonly errors: number;
}

export interface ServiceMapNode {
  /** Stable id: `wl:ns/name`, `app:ns/app`, `id:12345`, `world:api.stripe.com`, `entity:host`, … */
  readonly id: string;
  readonly kind: ServiceMapNodeKind;
  /** Set when the node stands for a reserved entity (world, host, remote-node, kube-apiserver, …). */
  readonly entity: EntityKind | undefined;
  /** Display name, bounded. */
  readonly label: string;
  /** "" for entities and cluster-wide identities. */
  readonly namespace: string;
  /** Deployment, StatefulSet, … when known. */
  readonly workloadKind: string;
  /** The cluster DNS workload (kube-dns / coredns in kube-system). */
  readonly kubeDns: boolean;
  /** Security identities seen for the node (bounded). */
  readonly identities: readonly number[];
  /** One endpoint of the node (its labels and namespace), so the policies selecting it can be found; absent for entities. */
  readonly endpoint?: { readonly labels: readonly string[]; readonly namespace: string };
  readonly flowsIn: number;
  readonly flowsOut: number;
  /** HTTP endpoints served by this node, most requested first (bounded). */
  readonly httpEndpoints: readonly HttpEndpointSummary[];
  /** Requests to endpoints not tracked because the node already tracks the maximum. */
  readonly httpEndpointsOverflow: number;
  /** DNS names queried from this node (it is the resolver), most queried first (bounded). */
  readonly dnsNames: readonly DnsNameSummary[];
  readonly dnsNamesOverflow: number;
}

export interface VerdictCounts {
  readonly forwarded: number;
  readonly dropped: number;
  readonly audit: number;
  readonly redirected: number;
  readonly error: number;
  /** TRACED, TRANSLATED, VERDICT_UNKNOWN. */
  readonly other: number;
}

/** How the edge is drawn: the most severe verdict present, and whether others are mixed in. */
export interface EdgeVerdictMix {
  readonly dominant: "forwarded" | "dropped" | "audit" | "error" | "other";
  /** More than one of forwarded/redirected, dropped, audit, error is present. */
  readonly mixed: boolean;
}

export interface EdgeHttpStats {
  readonly requests: number;
  readonly responses: number;
  readonly status4xx: number;
  readonly status5xx: number;
  /** 5xx responses / responses × 100; undefined without responses. */
  readonly errorPercent: number | undefined;
  /** From response latency (log-bucketed histogram, ≈ ±5 %); undefined without latencies. */
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
}

export interface EdgeDnsStats {
  readonly queries: number;
  readonly responses: number;
  /** Responses with a non-zero rcode. */
  readonly errors: number;
}

export interface ServiceMapEdge {
  /** `source|target|port/protocol`; port is `-` without one and `*` for the folded overflow edge. */
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** Destination port of the original direction; undefined for ICMP and the folded edge. */
  readonly port: number | undefined;
  /** TCP, UDP, ICMPv4, …; "" when unknown. */
  readonly protocol: string;
  /** The edge that folds the ports of a pair beyond `maxPortsPerPair` (port `*` in the id). */
  readonly folded: boolean;
  /** All flows counted for the edge, replies included. */
  readonly flows: number;
  /** Of `flows`, how many were replies (counted for the original direction). */
  readonly replies: number;
  /**
   * Of `flows`, how many were seen encrypted between nodes (`IP.encrypted`: WireGuard or IPsec
   * transparent encryption; Cilium marks the packets that arrive decrypted from another node).
   */
  readonly encrypted: number;
  /**
   * Of `flows`, how many were policy verdicts of a rule that required mutual authentication, which
   * the two identities passed (`auth_type` SPIRE, not dropped): the connection is mutually authenticated.
   */
  readonly authenticated: number;
  readonly verdicts: VerdictCounts;
  readonly mix: EdgeVerdictMix;
  readonly http: EdgeHttpStats | undefined;
  readonly dns: EdgeDnsStats | undefined;
  readonly lastSeenMs: number;
}

export interface ServiceMapSnapshot {
  /** The grouping the node ids follow. */
  readonly grouping: Grouping;
  /** Sorted by id. Unchanged nodes keep their object identity between snapshots. */
  readonly nodes: readonly ServiceMapNode[];
  /** Sorted by id. Unchanged edges keep their object identity between snapshots. */
  readonly edges: readonly ServiceMapEdge[];
  /** Namespaces of the nodes, sorted. */
  readonly namespaces: readonly string[];
  /** The span the counts cover (newest − oldest row, at least 1 s): flows/s = flows / window. */
  readonly windowMs: number;
  /** What the bounds left out. */
  readonly truncated: { readonly rows: number; readonly nodes: number; readonly edges: number };
  /** Increases with every change; equal versions mean identical snapshots. */
  readonly version: number;
}

export type ChangeKind = "added" | "updated" | "removed";

export interface ServiceMapChanges {
  readonly nodes: ReadonlyMap<string, ChangeKind>;
  readonly edges: ReadonlyMap<string, ChangeKind>;
}
