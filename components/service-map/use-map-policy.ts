"use client";

// The map's policy annotations: the policies that dropped each edge's flows, and the nodes in
// default deny (per direction) with the policies that isolate them. Recomputed with the snapshot
// (at most twice a second) and the policy version, never per frame; the node locks only when the
// set of nodes or the policies change. On a live view the server annotated the edges from every
// drop of the window; on a saved investigation they come from the saved rows.

import { useMemo, useRef } from "react";
import { isInvestigatedDrop } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import type { Direction, IsolatingPolicy, PolicyId } from "@/lib/policy/types";
import { EdgeDropIndex, type EdgeDropPolicies, type NodeEndpoint, type NodeLock, nodeLocks } from "@/lib/service-map/policy-annotations";
import { diffRows } from "@/lib/service-map/row-diff";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";

/** What the map needs from the page's policy explainer (components/policy). */
export interface MapPolicyLens {
  /** Changes when the answers may change. */
  readonly version: string;
  attributedPolicies(row: FlowRow): readonly PolicyId[];
  isolating(endpoint: NodeEndpoint, direction: Direction): readonly IsolatingPolicy[];
}

const NO_EDGES: ReadonlyMap<string, EdgeDropPolicies> = new Map();
const NO_LOCKS: ReadonlyMap<string, NodeLock> = new Map();

export function useMapPolicy(
  rows: readonly FlowRow[],
  snapshot: ServiceMapSnapshot,
  lens: MapPolicyLens | undefined,
  serverEdgeDrops?: ReadonlyMap<string, EdgeDropPolicies>,
): { edgeDrops: ReadonlyMap<string, EdgeDropPolicies>; locks: ReadonlyMap<string, NodeLock> } {
  // The rows as of the last render; read when the snapshot changes, not on every batch.
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  // Fed like the map's model: only the rows added and evicted since the last snapshot. Not used
  // when the server annotated the edges itself (a live view: it counted every drop).
  const index = useRef<{ index: EdgeDropIndex; lens: MapPolicyLens; fed: readonly FlowRow[] } | undefined>(undefined);
  const localEdgeDrops = useMemo(() => {
    if (!lens || serverEdgeDrops) {
      index.current = undefined;
      return NO_EDGES;
    }
    const rows = rowsRef.current;
    const fresh = () => new EdgeDropIndex(snapshot.grouping, isInvestigatedDrop, (r) => lens.attributedPolicies(r));
    let st = index.current;
    if (!st || st.lens !== lens || st.index.grouping !== snapshot.grouping) st = index.current = { index: fresh(), lens, fed: [] };
    const diff = diffRows(st.fed, rows);
    if (diff.kind === "reset") {
      st.index = fresh();
      st.index.add(rows);
    } else if (diff.kind === "delta") {
      st.index.add(diff.added);
      st.index.remove(diff.removed);
    }
    st.fed = rows;
    return st.index.snapshot();
  }, [snapshot, lens, serverEdgeDrops]);

  // Each node carries one of its endpoints (labels, namespace): the policies selecting it are
  // looked up when the set of nodes or the policies change.
  const nodes = snapshot.nodes;
  const nodeIds = useMemo(() => nodes.map((n) => n.id).join("\n"), [nodes]);
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;
  const locks = useMemo(() => {
    if (!lens || nodeIds === "") return NO_LOCKS;
    const endpoints = new Map<string, NodeEndpoint>();
    for (const n of nodesRef.current) if (n.endpoint) endpoints.set(n.id, n.endpoint);
    return nodeLocks(endpoints, (ep, d) => lens.isolating(ep, d));
  }, [nodeIds, lens]);

  return { edgeDrops: serverEdgeDrops && lens ? serverEdgeDrops : localEdgeDrops, locks };
}
