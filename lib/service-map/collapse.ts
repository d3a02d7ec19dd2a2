// Collapsing namespaces: a large map shows some namespaces as one node each, with their edges
// merged, rather than shrinking every card to a dot. Pure: snapshot + the namespaces to collapse
// → a snapshot of the same shape (the map draws it like any other).
//
// - A collapsed namespace is the node `ns:<namespace>` (kind "namespace"). The world's nodes (FQDNs,
//   CIDRs, the world entity) collapse likewise, into the group WORLD_GROUP; other nodes without a
//   namespace (entities, cluster-wide identities) never collapse.
// - Edges touching a collapsed namespace are merged per (source, target) pair after collapsing,
//   every port into one: `<source>|<target>|*`, `folded`. Counts are summed exactly — flows,
//   replies, encrypted and authenticated flows, every verdict count, HTTP requests/responses/4xx/5xx, DNS queries/responses/errors;
//   the HTTP error % is recomputed from the sums. Percentiles cannot be merged from percentiles:
//   a merged edge's p50/p95 are the maximum of its members' (an upper bound).
// - Edges between nodes that are not collapsed are kept as they are (same objects).

import { FOLDED_PORT, idPart } from "./ids";
import type { EdgeDnsStats, EdgeHttpStats, EdgeVerdictMix, ServiceMapEdge, ServiceMapNode, ServiceMapSnapshot, VerdictCounts } from "./types";

export const NAMESPACE_NODE_PREFIX = "ns:";

/**
 * The group the world's nodes collapse into, as if it were a namespace. Not a namespace name
 * (Kubernetes namespaces are DNS labels), so it cannot clash with one.
 */
export const WORLD_GROUP = "(world)";

/** What a node collapses into: its namespace, WORLD_GROUP for the world's nodes, "" for none. */
export function collapseGroupOf(n: Pick<ServiceMapNode, "namespace" | "kind">): string {
  return n.namespace !== "" ? n.namespace : n.kind === "world" ? WORLD_GROUP : "";
}

/** The groups a snapshot's nodes can collapse into: its namespaces, and WORLD_GROUP when it has world nodes. */
export function collapseGroups(snapshot: Pick<ServiceMapSnapshot, "nodes" | "namespaces">): string[] {
  return snapshot.nodes.some((n) => n.namespace === "" && n.kind === "world") ? [...snapshot.namespaces, WORLD_GROUP] : [...snapshot.namespaces];
}

export function namespaceNodeId(namespace: string): string {
  return `${NAMESPACE_NODE_PREFIX}${idPart(namespace)}`;
}

export function isNamespaceNodeId(id: string): boolean {
  return id.startsWith(NAMESPACE_NODE_PREFIX);
}

/** What a collapsed node or a merged edge stands for. */
export interface CollapsedInfo {
  /** Per `ns:` node id: the namespace and how many nodes it holds. */
  readonly namespaces: ReadonlyMap<string, { readonly namespace: string; readonly nodes: number }>;
  /** Per merged edge id: how many edges of the full map it sums. */
  readonly mergedEdges: ReadonlyMap<string, number>;
}

export interface CollapsedSnapshot extends ServiceMapSnapshot {
  readonly collapsed: CollapsedInfo;
}

const EMPTY_INFO: CollapsedInfo = { namespaces: new Map(), mergedEdges: new Map() };

export function collapseNamespaces(snapshot: ServiceMapSnapshot, collapse: ReadonlySet<string>): CollapsedSnapshot {
  const active = new Set(collapseGroups(snapshot).filter((ns) => collapse.has(ns)));
  if (active.size === 0) return { ...snapshot, collapsed: EMPTY_INFO };

  const mapped = new Map<string, string>();
  const groups = new Map<string, ServiceMapNode[]>();
  const nodes: ServiceMapNode[] = [];
  for (const n of snapshot.nodes) {
    const group = collapseGroupOf(n);
    if (group && active.has(group)) {
      const id = namespaceNodeId(group);
      mapped.set(n.id, id);
      const list = groups.get(id);
      if (list) list.push(n);
      else groups.set(id, [n]);
    } else {
      nodes.push(n);
    }
  }
  const namespaces = new Map<string, { namespace: string; nodes: number }>();
  for (const [id, members] of groups) {
    const group = collapseGroupOf(members[0]);
    nodes.push(namespaceNode(id, group, members));
    namespaces.set(id, { namespace: group, nodes: members.length });
  }
  nodes.sort((a, b) => cmp(a.id, b.id));

  const edges: ServiceMapEdge[] = [];
  const merged = new Map<string, ServiceMapEdge[]>();
  for (const e of snapshot.edges) {
    const s = mapped.get(e.source);
    const t = mapped.get(e.target);
    if (s === undefined && t === undefined) {
      edges.push(e);
      continue;
    }
    const id = `${s ?? e.source}|${t ?? e.target}|${FOLDED_PORT}`;
    const list = merged.get(id);
    if (list) list.push(e);
    else merged.set(id, [e]);
  }
  const mergedEdges = new Map<string, number>();
  for (const [id, members] of merged) {
    const [source, target] = id.split("|");
    edges.push(mergeEdges(id, source, target, members));
    mergedEdges.set(id, members.length);
  }
  edges.sort((a, b) => cmp(a.id, b.id));

  return { ...snapshot, nodes, edges, collapsed: { namespaces, mergedEdges } };
}

/**
 * Which namespaces to collapse so that at most `capacity` nodes are shown: the namespaces with
 * the most nodes first (ties by name), never one in `keep` (say, the selection's). None when the
 * map fits already.
 */
export function namespacesToCollapse(nodes: readonly Pick<ServiceMapNode, "namespace" | "kind">[], capacity: number, keep: ReadonlySet<string> = new Set()): Set<string> {
  const count = new Map<string, number>();
  for (const n of nodes) {
    const group = collapseGroupOf(n);
    if (group) count.set(group, (count.get(group) ?? 0) + 1);
  }
  let shown = nodes.length;
  const out = new Set<string>();
  const order = [...count.entries()].filter(([ns, c]) => c > 1 && !keep.has(ns)).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
  for (const [ns, c] of order) {
    if (shown <= capacity) break;
    out.add(ns);
    shown -= c - 1;
  }
  return out;
}

/**
 * The namespaces every edge touches (at either end): the view's focus, as when it is filtered to
 * one namespace (Hubble's `--namespace` matches flows from or to it). Collapsing one of them would
 * leave no edge to select, so the default never does. Empty for a map without edges.
 */
export function focusNamespaces(snapshot: Pick<ServiceMapSnapshot, "nodes" | "edges">): Set<string> {
  if (snapshot.edges.length === 0) return new Set();
  const nsOf = new Map(snapshot.nodes.map((n) => [n.id, n.namespace] as const));
  let common: Set<string> | undefined;
  for (const e of snapshot.edges) {
    const ends = new Set([nsOf.get(e.source) ?? "", nsOf.get(e.target) ?? ""].filter((ns) => ns !== ""));
    common = common ? new Set([...common].filter((ns) => ends.has(ns))) : ends;
    if (common.size === 0) break;
  }
  return common ?? new Set();
}

function namespaceNode(id: string, namespace: string, members: readonly ServiceMapNode[]): ServiceMapNode {
  let flowsIn = 0;
  let flowsOut = 0;
  for (const m of members) {
    flowsIn += m.flowsIn;
    flowsOut += m.flowsOut;
  }
  return {
    id,
    kind: "namespace",
    entity: undefined,
    label: namespace === WORLD_GROUP ? "world" : namespace,
    namespace,
    workloadKind: "",
    kubeDns: false,
    identities: [],
    flowsIn,
    flowsOut,
    httpEndpoints: [],
    httpEndpointsOverflow: 0,
    dnsNames: [],
    dnsNamesOverflow: 0,
  };
}

function mergeEdges(id: string, source: string, target: string, members: readonly ServiceMapEdge[]): ServiceMapEdge {
  let flows = 0;
  let replies = 0;
  let encrypted = 0;
  let authenticated = 0;
  let lastSeenMs = 0;
  const v = { forwarded: 0, dropped: 0, audit: 0, redirected: 0, error: 0, other: 0 };
  let http: { requests: number; responses: number; status4xx: number; status5xx: number; p50: number | undefined; p95: number | undefined } | undefined;
  let dns: { queries: number; responses: number; errors: number } | undefined;
  const protocols = new Set<string>();
  for (const e of members) {
    flows += e.flows;
    replies += e.replies;
    encrypted += e.encrypted;
    authenticated += e.authenticated;
    lastSeenMs = Math.max(lastSeenMs, e.lastSeenMs);
    for (const k of Object.keys(v) as (keyof VerdictCounts)[]) v[k] += e.verdicts[k];
    protocols.add(e.protocol);
    if (e.http) {
      http ??= { requests: 0, responses: 0, status4xx: 0, status5xx: 0, p50: undefined, p95: undefined };
      http.requests += e.http.requests;
      http.responses += e.http.responses;
      http.status4xx += e.http.status4xx;
      http.status5xx += e.http.status5xx;
      http.p50 = maxOf(http.p50, e.http.p50Ms);
      http.p95 = maxOf(http.p95, e.http.p95Ms);
    }
    if (e.dns) {
      dns ??= { queries: 0, responses: 0, errors: 0 };
      dns.queries += e.dns.queries;
      dns.responses += e.dns.responses;
      dns.errors += e.dns.errors;
    }
  }
  const httpStats: EdgeHttpStats | undefined = http && {
    requests: http.requests,
    responses: http.responses,
    status4xx: http.status4xx,
    status5xx: http.status5xx,
    errorPercent: http.responses > 0 ? (http.status5xx / http.responses) * 100 : undefined,
    p50Ms: http.p50,
    p95Ms: http.p95,
  };
  const dnsStats: EdgeDnsStats | undefined = dns && { ...dns };
  return {
    id,
    source,
    target,
    port: undefined,
    protocol: protocols.size === 1 ? [...protocols][0] : "",
    folded: true,
    flows,
    replies,
    encrypted,
    authenticated,
    verdicts: v,
    mix: verdictMixOf(v),
    http: httpStats,
    dns: dnsStats,
    lastSeenMs,
  };
}

/** The same rule as the aggregation's: the most severe verdict present, and whether several are. */
export function verdictMixOf(v: VerdictCounts): EdgeVerdictMix {
  const passed = v.forwarded + v.redirected;
  const present = [passed, v.dropped, v.audit, v.error].filter((n) => n > 0).length;
  const dominant: EdgeVerdictMix["dominant"] = v.dropped > 0 ? "dropped" : v.error > 0 ? "error" : v.audit > 0 ? "audit" : passed > 0 ? "forwarded" : "other";
  return { dominant, mixed: present > 1 };
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
