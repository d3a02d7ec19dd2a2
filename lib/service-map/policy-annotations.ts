// What the map says about policy: which policies dropped the flows of an edge, and which
// endpoints are in default deny (per direction) and by which policies. Pure; the caller passes
// the drop attribution (lib/drops) and the explainer's `isolatingPolicies`.
//
// Cost: `edgeDropPolicies` walks the rows once and does work only for drops (their attribution is
// memoised by the caller); `nodeEndpoints` stops as soon as every wanted node has an endpoint;
// `nodeLocks` asks the explainer twice per node. Callers recompute with the snapshot (≤ 2/s) and
// the policy version, never per frame.

import type { FlowEndpointView, FlowRow } from "../flow-model";
import { type Direction, type IsolatingPolicy, type PolicyId, policyKey } from "../policy/types";
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
 * annotated too): the policies its dropped and audited flows are charged to.
 */
export function edgeDropPolicies(
  rows: readonly FlowRow[],
  grouping: Grouping,
  isDrop: (row: FlowRow) => boolean,
  attribute: (row: FlowRow) => readonly PolicyId[],
): ReadonlyMap<string, EdgeDropPolicies> {
  const acc = new Map<string, { counts: Map<string, { policy: PolicyId; drops: number }>; unattributed: number }>();
  const add = (id: string, policies: readonly PolicyId[]) => {
    let a = acc.get(id);
    if (!a) acc.set(id, (a = { counts: new Map(), unattributed: 0 }));
    if (policies.length === 0) a.unattributed++;
    for (const p of policies) {
      const k = policyKey(p);
      const c = a.counts.get(k);
      if (c) c.drops++;
      else a.counts.set(k, { policy: p, drops: 1 });
    }
  };
  for (const row of rows) {
    if (!isDrop(row)) continue;
    const { from, to } = orientedEndpoints(row);
    const s = nodeIdOf(from, grouping);
    const t = nodeIdOf(to, grouping);
    const policies = attribute(row);
    add(edgeId(s, t, portPart(to.port), row.l4Protocol), policies);
    add(edgeId(s, t, FOLDED_PORT, row.l4Protocol), policies);
  }
  const out = new Map<string, EdgeDropPolicies>();
  for (const [id, a] of acc) {
    const policies = [...a.counts.entries()]
      .map(([key, c]) => ({ key, policy: c.policy, drops: c.drops }))
      .sort((x, y) => y.drops - x.drops || (x.key < y.key ? -1 : 1))
      .slice(0, MAX_POLICIES_PER_EDGE);
    out.set(id, { policies, unattributed: a.unattributed });
  }
  return out;
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

/**
 * An endpoint per wanted node id, from the newest row that has one. Reserved entities (world,
 * host, …) have no policy of their own here and are skipped.
 */
export function nodeEndpoints(rows: readonly FlowRow[], grouping: Grouping, wanted: ReadonlySet<string>): ReadonlyMap<string, NodeEndpoint> {
  const out = new Map<string, NodeEndpoint>();
  if (wanted.size === 0) return out;
  const take = (ep: FlowEndpointView) => {
    if (ep.entity !== undefined || ep.labels.length === 0) return;
    const id = nodeIdOf(ep, grouping);
    if (!wanted.has(id) || out.has(id)) return;
    out.set(id, { labels: ep.labels, namespace: namespaceOf(ep) });
  };
  for (const row of rows) {
    take(row.source);
    take(row.destination);
    if (out.size === wanted.size) break;
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
    const ingress = ids(isolating(ep, "ingress"));
    const egress = ids(isolating(ep, "egress"));
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

function ids(list: readonly IsolatingPolicy[]): PolicyId[] {
  const seen = new Set<string>();
  const out: PolicyId[] = [];
  for (const p of list) {
    const k = policyKey(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ kind: p.kind, namespace: p.namespace, name: p.name });
  }
  return out;
}
