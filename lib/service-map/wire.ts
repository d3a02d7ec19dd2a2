// The service map as the server streams it (`map` events, lib/sse.ts): a full snapshot when a
// browser joins, then deltas — the nodes and edges that changed since the previous frame, and the
// ids that left — at most twice a second. The server aggregates every flow of the view
// (server/aggregation); the browser only applies frames. Pure.

import type { EdgeDropPolicies } from "./policy-annotations";
import type { ServiceMapEdge, ServiceMapNode, ServiceMapSnapshot } from "./types";

export interface MapFrame {
  /** A full frame replaces what the browser holds; a delta applies to the frame numbered `base`. */
  readonly full: boolean;
  readonly seq: number;
  /** The frame this delta applies to (absent on full frames). */
  readonly base?: number;
  readonly grouping: ServiceMapSnapshot["grouping"];
  readonly windowMs: number;
  readonly truncated: ServiceMapSnapshot["truncated"];
  /** Added or changed (all of them on a full frame). */
  readonly nodes: readonly ServiceMapNode[];
  readonly edges: readonly ServiceMapEdge[];
  readonly removedNodes: readonly string[];
  readonly removedEdges: readonly string[];
  /** Per edge id (and folded `*` id): the policies its drops are charged to; always complete. */
  readonly edgeDrops: readonly (readonly [string, EdgeDropPolicies])[];
}

/** What the browser holds of the server's map. */
export interface MapState {
  readonly seq: number;
  readonly snapshot: ServiceMapSnapshot;
  readonly edgeDrops: ReadonlyMap<string, EdgeDropPolicies>;
}

/** The frame that turns `prev` into `next` (objects of unchanged nodes and edges are shared, so identity is the test). */
export function mapFrame(prev: ServiceMapSnapshot | undefined, next: ServiceMapSnapshot, edgeDrops: ReadonlyMap<string, EdgeDropPolicies>, seq: number): MapFrame {
  const common = { seq, grouping: next.grouping, windowMs: next.windowMs, truncated: next.truncated, edgeDrops: [...edgeDrops] };
  if (!prev || prev.grouping !== next.grouping) {
    return { ...common, full: true, nodes: next.nodes, edges: next.edges, removedNodes: [], removedEdges: [] };
  }
  const changes = <T extends { readonly id: string }>(before: readonly T[], after: readonly T[]) => {
    const old = new Map(before.map((x) => [x.id, x] as const));
    const upserts: T[] = [];
    for (const x of after) {
      if (old.get(x.id) !== x) upserts.push(x);
      old.delete(x.id);
    }
    return { upserts, removed: [...old.keys()] };
  };
  const n = changes(prev.nodes, next.nodes);
  const e = changes(prev.edges, next.edges);
  return { ...common, full: false, base: seq - 1, nodes: n.upserts, edges: e.upserts, removedNodes: n.removed, removedEdges: e.removed };
}

/**
 * Applies a frame. Undefined when a delta does not follow what is held (a frame went missing):
 * the caller keeps what it has and waits for the next full frame, which the server sends then.
 */
export function applyMapFrame(prev: MapState | undefined, frame: MapFrame): MapState | undefined {
  if (!frame.full && (!prev || prev.seq !== frame.base)) return undefined;
  const merge = <T extends { readonly id: string }>(before: readonly T[], upserts: readonly T[], removed: readonly string[]) => {
    const byId = new Map(before.map((x) => [x.id, x] as const));
    for (const id of removed) byId.delete(id);
    for (const x of upserts) byId.set(x.id, x);
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };
  const nodes = frame.full ? frame.nodes : merge(prev!.snapshot.nodes, frame.nodes, frame.removedNodes);
  const edges = frame.full ? frame.edges : merge(prev!.snapshot.edges, frame.edges, frame.removedEdges);
  const namespaces = [...new Set(nodes.map((n) => n.namespace).filter((ns) => ns !== ""))].sort();
  return {
    seq: frame.seq,
    snapshot: { grouping: frame.grouping, nodes, edges, namespaces, windowMs: frame.windowMs, truncated: frame.truncated, version: frame.seq },
    edgeDrops: new Map(frame.edgeDrops),
  };
}
