// What the map says about policy: which policies dropped the flows of an edge, and which
// endpoints are in default deny (per direction) and by which policies. Pure; the caller passes
// the drop attribution (lib/drops) and the explainer's `isolatingPolicies`.
//
// Cost: `edgeDropPolicies` walks the rows once and does work only for drops (their attribution is
// memoised by the caller); `nodeEndpoints` stops as soon as every wanted node has an endpoint;
// `nodeLocks` asks the explainer twice per node. Callers recompute with the snapshot (≤ 2/s) and
// the policy version, never per frame.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import { type Direction, type IsolatingPolicy, type PolicyId, policyKey, uniquePolicyIds } from "../policy/types";
import type { Grouping } from "../view-state";
import { edgeId, FOLDED_PORT, nodeIdOf, namespaceOf, orientedEndpoints, portPart } from "./ids";

export interface EdgeDropPolicy {
  readonly policy: PolicyId;
  readonly key: string;
  readonly drops: number;
}

export interface EdgeDropPolicies {
  /** Most drops first. */
  readonly policies: readonly EdgeDropPolicy[];
  /** Drops no policy was charged with. */
  readonly unattributed: number;
}

/** Policies listed per edge; the rest only add to the count. */
const MAX_POLICIES_PER_EDGE = 8;

/**
 * Per edge id (and per folded `*` id of the same pair and protocol, so a folded edge is
 * annotated too): the policies its dropped and audited flows are charged to. Incremental: fed
 * the rows added and removed since the last feed (as the map's model is), it only looks at those,
 * and remembers what each row contributed so removing it takes exactly that back out.
 */
export class EdgeDropIndex {
  private readonly edges = new Map<string, { counts: Map<string, { policy: PolicyId; drops: number }>; unattributed: number }>();
  private readonly contributed = new Map<FlowRow, { ids: readonly string[]; policies: readonly PolicyId[]; weight: number }>();
  private cached: ReadonlyMap<string, EdgeDropPolicies> | undefined = new Map();

  constructor(
    readonly grouping: Grouping,
    private readonly isDrop: (row: FlowRow) => boolean,
    private readonly attribute: (row: FlowRow) => readonly PolicyId[],
  ) {}

  add(rows: readonly FlowRow[]): void {
    for (const row of rows) if (!this.contributed.has(row)) this.addOne(row, 1);
  }

  /** Counts each row `weight` times (the drops it stands for); `remove` takes all of it back. */
  addWeighted(entries: Iterable<readonly [FlowRow, number]>): void {
    for (const [row, weight] of entries) if (weight > 0) this.addOne(row, weight);
  }

  private addOne(row: FlowRow, weight: number): void {
    if (!this.isDrop(row)) return;
    let c = this.contributed.get(row);
    if (!c) {
      const { from, to } = orientedEndpoints(row);
      const s = nodeIdOf(from, this.grouping);
      const t = nodeIdOf(to, this.grouping);
      const ids = [edgeId(s, t, portPart(to.port), row.l4Protocol), edgeId(s, t, FOLDED_PORT, row.l4Protocol)];
      this.contributed.set(row, (c = { ids, policies: this.attribute(row), weight: 0 }));
    }
    c.weight += weight;
    for (const id of c.ids) this.count(id, c.policies, weight);
    this.cached = undefined;
  }

  remove(rows: readonly FlowRow[]): void {
    for (const row of rows) {
      const c = this.contributed.get(row);
      if (!c) continue;
      this.contributed.delete(row);
      for (const id of c.ids) this.count(id, c.policies, -c.weight);
      this.cached = undefined;
    }
  }

  /** The annotations; the same object until something changes. */
  snapshot(): ReadonlyMap<string, EdgeDropPolicies> {
    if (this.cached) return this.cached;
    const out = new Map<string, EdgeDropPolicies>();
    for (const [id, a] of this.edges) {
      const policies = [...a.counts.entries()]
        .map(([key, c]) => ({ key, policy: c.policy, drops: c.drops }))
        .sort((x, y) => y.drops - x.drops || (x.key < y.key ? -1 : 1))
        .slice(0, MAX_POLICIES_PER_EDGE);
      out.set(id, { policies, unattributed: a.unattributed });
    }
    this.cached = out;
    return out;
  }

  private count(id: string, policies: readonly PolicyId[], delta: number): void {
    let a = this.edges.get(id);
    if (!a) this.edges.set(id, (a = { counts: new Map(), unattributed: 0 }));
    if (policies.length === 0) a.unattributed = Math.max(0, a.unattributed + delta);
    for (const p of policies) {
      const k = policyKey(p);
      const c = a.counts.get(k);
      if (c) {
        c.drops += delta;
        if (c.drops <= 0) a.counts.delete(k);
      } else if (delta > 0) a.counts.set(k, { policy: p, drops: delta });
    }
    if (a.counts.size === 0 && a.unattributed <= 0) this.edges.delete(id);
  }
}

/** The same annotations from a list of rows at once (see EdgeDropIndex). */
export function edgeDropPolicies(
  rows: readonly FlowRow[],
  grouping: Grouping,
  isDrop: (row: FlowRow) => boolean,
  attribute: (row: FlowRow) => readonly PolicyId[],
): ReadonlyMap<string, EdgeDropPolicies> {
  const index = new EdgeDropIndex(grouping, isDrop, attribute);
  index.add(rows);
  return index.snapshot();
}

/** "dropped by payments/default-deny (+1 more)": the edge's label and tooltip part. */
export function edgeDropText(d: EdgeDropPolicies | undefined): string {
  if (!d || d.policies.length === 0) return "";
  const first = d.policies[0].policy;
  const name = first.namespace ? `${first.namespace}/${first.name}` : first.name;
  return d.policies.length > 1 ? `dropped by ${name} (+${d.policies.length - 1} more)` : `dropped by ${name}`;
}

/** One endpoint that stands for a map node: what the explainer needs to find its policies. */
export interface NodeEndpoint {
  readonly labels: readonly string[];
  readonly namespace: string;
}

/** Rows `nodeEndpoints` looks through at most: the newest hold nearly every node shown. */
export const NODE_ENDPOINT_SCAN = 20_000;

/**
 * An endpoint per wanted node id, from the newest row that has one, looking at the newest
 * `maxRows` rows at most. Reserved entities (world, host, …) have no policy of their own here and
 * are not looked for.
 */
export function nodeEndpoints(rows: readonly FlowRow[], grouping: Grouping, wantedIds: ReadonlySet<string>, maxRows = NODE_ENDPOINT_SCAN): ReadonlyMap<string, NodeEndpoint> {
  const out = new Map<string, NodeEndpoint>();
  const wanted = new Set([...wantedIds].filter((id) => !id.startsWith("entity:") && !id.startsWith("world:")));
  if (wanted.size === 0) return out;
  const take = (ep: FlowEndpointView) => {
    if (ep.entity !== undefined || ep.labels.length === 0) return;
    const id = nodeIdOf(ep, grouping);
    if (!wanted.has(id) || out.has(id)) return;
    out.set(id, { labels: ep.labels, namespace: namespaceOf(ep) });
  };
  const n = Math.min(rows.length, maxRows);
  for (let i = 0; i < n && out.size < wanted.size; i++) {
    take(rows[i].source);
    take(rows[i].destination);
  }
  return out;
}

export interface NodeLock {
  /** Policies that put the node's endpoints in default deny for ingress; empty when open. */
  readonly ingress: readonly PolicyId[];
  readonly egress: readonly PolicyId[];
}

/** The nodes with at least one direction in default deny, and by which policies. */
export function nodeLocks(
  endpoints: ReadonlyMap<string, NodeEndpoint>,
  isolating: (endpoint: NodeEndpoint, direction: Direction) => readonly IsolatingPolicy[],
): ReadonlyMap<string, NodeLock> {
  const out = new Map<string, NodeLock>();
  for (const [id, ep] of endpoints) {
    const ingress = uniquePolicyIds(isolating(ep, "ingress"));
    const egress = uniquePolicyIds(isolating(ep, "egress"));
    if (ingress.length > 0 || egress.length > 0) out.set(id, { ingress, egress });
  }
  return out;
}

/** "ingress locked by NetworkPolicy payments/default-deny, …": a node's lock, in words. */
export function nodeLockText(lock: NodeLock, direction: Direction): string {
  const list = direction === "ingress" ? lock.ingress : lock.egress;
  if (list.length === 0) return `${direction} open (no policy selects it)`;
  return `${direction} default-deny by ${list.map((p) => `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`).join(", ")}`;
}
