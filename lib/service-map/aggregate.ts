// The service map's aggregation: flow rows in, nodes and edges out. Incremental both ways — `add`
// new rows and `remove` rows that left the window — each returning what changed (added / updated /
// removed per node and edge id), so a live map does work proportional to the new flows, not to
// the window. `snapshot()` reuses the objects of nodes and edges that did not change, so React can
// skip them.
//
// Invariants:
// - Node and edge ids are computed from the row alone (./ids.ts); the table filters with the same
//   functions, so a map selection and the filtered table always agree.
// - Replies (isReply === true) are swapped back and counted for the request's edge: a TCP reply
//   or an HTTP/DNS response belongs to the connection its request opened. They count in `flows`
//   and in the verdict mix (a dropped reply is still a drop on that connection) and, for L7,
//   carry the status codes, rcodes and latencies. Rows with isReply undefined keep their direction.
// - Everything is bounded (`ServiceMapLimits`): nodes, edges, port edges per node pair (extra ports
//   fold into one `*` edge), tracked HTTP endpoints and DNS names per node, identities per node,
//   label length. What the bounds leave out is counted in `snapshot().truncated` / `…Overflow`.
// - `remove` must be given rows that were given to `add` (the same objects); it takes back all
//   that the row added (a row may be added more than once, or with a weight: the server adds one
//   representative row per kind of flow with how many flows it stands for). Counts never go below
//   zero, and a node or edge disappears when its last row is removed.

//
// This module owns the bookkeeping: which nodes and edges exist, what each row contributed, what
// changed. The tallies are counted in ./aggregate-counts.ts, the snapshot objects built in
// ./aggregate-snapshot.ts.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import type { Grouping } from "../view-state";
import { countRow, type EdgeAcc, type NodeAcc, nonNeg } from "./aggregate-counts";
import { cmp, edgeSnapshot, nodeSnapshot } from "./aggregate-snapshot";
import { appLabelOf, edgeId, FOLDED_PORT, isKubeDns, namespaceOf, nodeIdOf, orientedEndpoints, portPart, workloadOf, worldNameOf } from "./ids";
import type { ChangeKind, ServiceMapChanges, ServiceMapNodeKind, ServiceMapSnapshot } from "./types";

export interface ServiceMapLimits {
  readonly maxNodes: number;
  readonly maxEdges: number;
  /** Distinct destination ports per source→destination pair before they fold into `*`. */
  readonly maxPortsPerPair: number;
  /** HTTP endpoints tracked per node (method + grouped path). */
  readonly maxEndpointsPerNode: number;
  readonly maxDnsNamesPerNode: number;
  /** How many of the tracked endpoints / names a snapshot lists per node. */
  readonly listedPerNode: number;
  readonly maxIdentitiesPerNode: number;
  readonly maxLabel: number;
}

export const DEFAULT_LIMITS: ServiceMapLimits = {
  maxNodes: 2000,
  maxEdges: 10_000,
  maxPortsPerPair: 16,
  maxEndpointsPerNode: 100,
  maxDnsNamesPerNode: 100,
  listedPerNode: 20,
  maxIdentitiesPerNode: 16,
  maxLabel: 80,
};

/** What a row (or an entry) added to the model, and where, so taking it back undoes exactly that. */
export interface Contribution {
  /** Flows counted on the row's own port edge, on the pair's folded edge, and left out. */
  own: number;
  folded: number;
  skipped: number;
}

/**
 * A weighted row whose holder keeps what it added: the server's windowed aggregation holds one
 * per kind of flow per time bucket, and the entries of one kind share one row (a row stands for
 * every flow of its map signature), so what each added cannot be found by the row.
 */
export interface ModelEntry {
  readonly row: FlowRow;
  /** The time the entry stands for (for an edge's last seen): the row's own when it is shared. */
  readonly timeMs: number;
  /** What the entry added, for `removeEntries`; the model sets it. */
  contribution: Contribution | undefined;
}

export class ServiceMapModel {
  readonly limits: ServiceMapLimits;
  private nodes = new Map<string, NodeAcc>();
  private edges = new Map<string, EdgeAcc>();
  /** Explicit-port edges per `source|target` pair. */
  private pairPorts = new Map<string, number>();
  /** What each row added, and where (left out by the bounds, a folded edge, its own edge), so `remove` undoes exactly. */
  private contributions = new WeakMap<FlowRow, Contribution>();
  private truncated = { rows: 0, nodes: 0, edges: 0 };
  private minMs = Infinity;
  private maxMs = -Infinity;
  private version = 0;
  private epoch = 0;
  private changes = new Map<string, ChangeKind>();
  private edgeChanges = new Map<string, ChangeKind>();
  private sortedNodes: NodeAcc[] | undefined;
  private sortedEdges: EdgeAcc[] | undefined;
  private cached: ServiceMapSnapshot | undefined;

  constructor(
    readonly grouping: Grouping = "workload",
    limits: Partial<ServiceMapLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get edgeCount(): number {
    return this.edges.size;
  }

  reset(): void {
    this.nodes = new Map();
    this.edges = new Map();
    this.pairPorts = new Map();
    this.contributions = new WeakMap();
    this.truncated = { rows: 0, nodes: 0, edges: 0 };
    this.minMs = Infinity;
    this.maxMs = -Infinity;
    this.sortedNodes = undefined;
    this.sortedEdges = undefined;
    this.version++;
  }

  add(rows: readonly FlowRow[]): ServiceMapChanges {
    this.begin();
    for (const row of rows) this.addRow(row, 1, this.contributionOf(row), row.timeMs);
    return this.end();
  }

  remove(rows: readonly FlowRow[]): ServiceMapChanges {
    this.begin();
    for (const row of rows) {
      const c = this.contributions.get(row);
      if (!c) continue;
      this.contributions.delete(row);
      this.takeBackAll(row, c);
    }
    return this.end();
  }

  /** Adds each entry's row `weight` times at the entry's time; `removeEntries` takes all of it back. */
  addEntries(entries: Iterable<readonly [ModelEntry, number]>): ServiceMapChanges {
    this.begin();
    for (const [entry, weight] of entries) {
      if (weight <= 0) continue;
      const c = (entry.contribution ??= { own: 0, folded: 0, skipped: 0 });
      this.addRow(entry.row, weight, c, entry.timeMs);
    }
    return this.end();
  }

  removeEntries(entries: Iterable<ModelEntry>): ServiceMapChanges {
    this.begin();
    for (const entry of entries) {
      const c = entry.contribution;
      if (!c) continue;
      entry.contribution = undefined;
      this.takeBackAll(entry.row, c);
    }
    return this.end();
  }

  snapshot(options: { windowMs?: number } = {}): ServiceMapSnapshot {
    const windowMs = Math.max(1000, options.windowMs ?? (this.maxMs > this.minMs ? this.maxMs - this.minMs : 0));
    const prev = this.cached;
    if (prev && prev.version === this.version && prev.windowMs === windowMs) return prev;
    if (!this.sortedNodes) this.sortedNodes = [...this.nodes.values()].sort((a, b) => cmp(a.id, b.id));
    if (!this.sortedEdges) this.sortedEdges = [...this.edges.values()].sort((a, b) => cmp(a.id, b.id));
    const namespaces = new Set<string>();
    const nodes = this.sortedNodes.map((n) => {
      if (n.namespace) namespaces.add(n.namespace);
      return (n.snap ??= nodeSnapshot(n, this.limits.listedPerNode));
    });
    const edges = this.sortedEdges.map((e) => (e.snap ??= edgeSnapshot(e)));
    this.cached = {
      grouping: this.grouping,
      nodes,
      edges,
      namespaces: [...namespaces].sort(cmp),
      windowMs,
      truncated: { ...this.truncated },
      version: this.version,
    };
    return this.cached;
  }

  // --- rows ---

  private addRow(row: FlowRow, w: number, c: Contribution, timeMs: number): void {
    const { from, to } = orientedEndpoints(row);
    const srcId = nodeIdOf(from, this.grouping);
    const dstId = nodeIdOf(to, this.grouping);
    const newNodes = (this.nodes.has(srcId) ? 0 : 1) + (this.nodes.has(dstId) || dstId === srcId ? 0 : 1);
    if (newNodes > 0 && this.nodes.size + newNodes > this.limits.maxNodes) {
      this.truncated.nodes += newNodes;
      this.skip(c, w);
      return;
    }
    const found = this.edgeFor(row, srcId, dstId, to.port);
    if (!found) {
      this.truncated.edges++;
      this.skip(c, w);
      return;
    }
    const { edge, folded } = found;
    if (folded) c.folded += w;
    else c.own += w;
    const src = this.nodeFor(srcId, from);
    const dst = this.nodeFor(dstId, to);
    countRow(row, src, dst, edge, w, this.limits);
    this.touchNode(src);
    this.touchNode(dst);
    this.touchEdge(edge);
    if (timeMs > edge.lastSeenMs) edge.lastSeenMs = timeMs;
    if (timeMs > 0) {
      if (timeMs < this.minMs) this.minMs = timeMs;
      if (timeMs > this.maxMs) this.maxMs = timeMs;
    }
  }

  private takeBackAll(row: FlowRow, c: Contribution): void {
    if (c.skipped > 0) this.truncated.rows = nonNeg(this.truncated.rows - c.skipped);
    const { from, to } = orientedEndpoints(row);
    const srcId = nodeIdOf(from, this.grouping);
    const dstId = nodeIdOf(to, this.grouping);
    if (c.own > 0) this.takeBack(row, srcId, dstId, edgeId(srcId, dstId, portPart(to.port), row.l4Protocol), c.own);
    if (c.folded > 0) this.takeBack(row, srcId, dstId, edgeId(srcId, dstId, FOLDED_PORT, row.l4Protocol), c.folded);
  }

  private takeBack(row: FlowRow, srcId: string, dstId: string, id: string, w: number): void {
    const src = this.nodes.get(srcId);
    const dst = this.nodes.get(dstId);
    const edge = this.edges.get(id);
    if (!src || !dst || !edge) return;
    countRow(row, src, dst, edge, -w, this.limits);
    if (edge.flows <= 0) this.dropEdge(edge);
    else this.touchEdge(edge);
    for (const node of srcId === dstId ? [src] : [src, dst]) {
      if (node.refs <= 0) this.dropNode(node);
      else this.touchNode(node);
    }
  }

  private contributionOf(row: FlowRow): Contribution {
    let c = this.contributions.get(row);
    if (!c) this.contributions.set(row, (c = { own: 0, folded: 0, skipped: 0 }));
    return c;
  }

  private skip(c: Contribution, w: number): void {
    this.truncated.rows += w;
    c.skipped += w;
  }

  // --- nodes and edges ---

  private nodeFor(id: string, ep: FlowEndpointView): NodeAcc {
    let node = this.nodes.get(id);
    if (node) {
      if (ep.identity > 0 && node.identities.length < this.limits.maxIdentitiesPerNode && !node.identities.includes(ep.identity)) {
        node.identities.push(ep.identity);
        node.snap = undefined;
      }
      return node;
    }
    node = {
      id,
      ...describeNode(id, ep, this.limits.maxLabel),
      identities: ep.identity > 0 ? [ep.identity] : [],
      endpoint: ep.entity === undefined && ep.labels.length > 0 ? { labels: ep.labels, namespace: namespaceOf(ep) } : undefined,
      refs: 0,
      flowsIn: 0,
      flowsOut: 0,
      endpoints: undefined,
      endpointsOverflow: 0,
      dns: undefined,
      dnsOverflow: 0,
      snap: undefined,
      epoch: 0,
    };
    this.nodes.set(id, node);
    this.sortedNodes = undefined;
    this.changes.set(id, "added");
    node.epoch = this.epoch;
    return node;
  }

  private edgeFor(row: FlowRow, srcId: string, dstId: string, port: number | undefined): { edge: EdgeAcc; folded: boolean } | undefined {
    const pair = `${srcId}|${dstId}`;
    const explicitId = edgeId(srcId, dstId, portPart(port), row.l4Protocol);
    const existing = this.edges.get(explicitId);
    if (existing) return { edge: existing, folded: false };
    const ports = this.pairPorts.get(pair) ?? 0;
    const fold = ports >= this.limits.maxPortsPerPair;
    const id = fold ? edgeId(srcId, dstId, FOLDED_PORT, row.l4Protocol) : explicitId;
    const folded = fold ? this.edges.get(id) : undefined;
    if (folded) return { edge: folded, folded: true };
    if (this.edges.size >= this.limits.maxEdges) return undefined;
    if (!fold) this.pairPorts.set(pair, ports + 1);
    const edge: EdgeAcc = {
      id,
      pair,
      source: srcId,
      target: dstId,
      port: fold || !port ? undefined : port,
      protocol: row.l4Protocol,
      folded: fold,
      flows: 0,
      replies: 0,
      encrypted: 0,
      authenticated: 0,
      verdicts: [0, 0, 0, 0, 0, 0],
      http: undefined,
      dns: undefined,
      lastSeenMs: 0,
      snap: undefined,
      epoch: this.epoch,
    };
    this.edges.set(id, edge);
    this.sortedEdges = undefined;
    this.edgeChanges.set(id, "added");
    return { edge, folded: fold };
  }

  private dropNode(node: NodeAcc): void {
    this.nodes.delete(node.id);
    this.sortedNodes = undefined;
    this.changes.set(node.id, "removed");
  }

  private dropEdge(edge: EdgeAcc): void {
    this.edges.delete(edge.id);
    this.sortedEdges = undefined;
    if (!edge.folded) {
      const left = (this.pairPorts.get(edge.pair) ?? 1) - 1;
      if (left > 0) this.pairPorts.set(edge.pair, left);
      else this.pairPorts.delete(edge.pair);
    }
    this.edgeChanges.set(edge.id, "removed");
  }

  private touchNode(node: NodeAcc): void {
    node.snap = undefined;
    if (node.epoch === this.epoch) return;
    node.epoch = this.epoch;
    if (!this.changes.has(node.id)) this.changes.set(node.id, "updated");
  }

  private touchEdge(edge: EdgeAcc): void {
    edge.snap = undefined;
    if (edge.epoch === this.epoch) return;
    edge.epoch = this.epoch;
    if (!this.edgeChanges.has(edge.id)) this.edgeChanges.set(edge.id, "updated");
  }

  private begin(): void {
    this.epoch++;
    this.changes = new Map();
    this.edgeChanges = new Map();
  }

  private end(): ServiceMapChanges {
    if (this.changes.size > 0 || this.edgeChanges.size > 0) this.version++;
    return { nodes: this.changes, edges: this.edgeChanges };
  }
}

function describeNode(id: string, ep: FlowEndpointView, maxLabel: number): Pick<NodeAcc, "kind" | "entity" | "label" | "namespace" | "workloadKind" | "kubeDns"> {
  const bound = (s: string) => (s.length > maxLabel ? `${s.slice(0, maxLabel - 1)}…` : s);
  if (id.startsWith("world:")) return entityNode("world", bound(worldNameOf(ep)));
  if (id.startsWith("entity:")) {
    const kind = id.slice("entity:".length);
    return { ...entityNode(kind === "world" ? "world" : kind === "unknown" ? "unknown" : "entity", kind), entity: ep.entity };
  }
  const base = { entity: undefined, kubeDns: isKubeDns(ep), workloadKind: bound(ep.workloadKind) };
  const namespace = bound(namespaceOf(ep));
  if (id.startsWith("wl:")) return { ...base, kind: "workload", label: bound(workloadOf(ep)), namespace };
  if (id.startsWith("app:")) return { ...base, kind: "app", label: bound(appLabelOf(ep.labels)), namespace };
  // Named as the table names its pods (their workload), else by its number.
  const name = appLabelOf(ep.labels) || workloadOf(ep);
  // An identity is cluster-wide in principle, but a pod's identity includes its namespace label.
  return { ...base, kind: "identity", label: bound(name || `identity ${ep.identity}`), namespace };
}

function entityNode(kind: ServiceMapNodeKind, label: string) {
  return { kind, entity: kind === "world" ? ("world" as const) : undefined, label, namespace: "", workloadKind: "", kubeDns: false };
}
