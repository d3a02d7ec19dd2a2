"use client";

// The map's policy annotations: the policies that dropped each edge's flows, and the nodes in
// default deny (per direction) with the policies that isolate them. Recomputed with the snapshot
// (at most twice a second) and the policy version, never per frame; the node locks only when the
// set of nodes or the policies change.

import { useMemo, useRef } from "react";
import { isInvestigatedDrop } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import type { Direction, IsolatingPolicy, PolicyId } from "@/lib/policy/types";
import { EdgeDropIndex, type EdgeDropPolicies, type NodeEndpoint, nodeEndpoints, type NodeLock, nodeLocks } from "@/lib/service-map/policy-annotations";
import { diffRows } from "@/lib/service-map/row-diff";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";
import type { Grouping } from "@/lib/view-state";

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
  grouping: Grouping,
  lens: MapPolicyLens | undefined,
): { edgeDrops: ReadonlyMap<string, EdgeDropPolicies>; locks: ReadonlyMap<string, NodeLock> } {
  // The rows as of the last render; read when the snapshot changes, not on every batch.
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  // Fed like the map's model: only the rows added and evicted since the last snapshot.
  const index = useRef<{ index: EdgeDropIndex; lens: MapPolicyLens; fed: readonly FlowRow[] } | undefined>(undefined);
  const edgeDrops = useMemo(() => {
    if (!lens) {
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
  }, [snapshot, lens]);

  // Endpoints found stay known (per grouping): only new nodes are looked for in the rows.
  const known = useRef<{ grouping: Grouping; endpoints: Map<string, NodeEndpoint> }>({ grouping, endpoints: new Map() });
  const nodeIds = useMemo(() => snapshot.nodes.map((n) => n.id).join("\n"), [snapshot.nodes]);
  const locks = useMemo(() => {
    if (!lens || nodeIds === "") return NO_LOCKS;
    if (known.current.grouping !== grouping) known.current = { grouping, endpoints: new Map() };
    const endpoints = known.current.endpoints;
    const ids = nodeIds.split("\n");
    const missing = new Set(ids.filter((id) => !endpoints.has(id)));
    if (missing.size > 0) for (const [id, ep] of nodeEndpoints(rowsRef.current, grouping, missing)) endpoints.set(id, ep);
    const shown = new Map<string, NodeEndpoint>();
    for (const id of ids) {
      const ep = endpoints.get(id);
      if (ep) shown.set(id, ep);
    }
    if (endpoints.size > 4 * ids.length + 1000) known.current = { grouping, endpoints: new Map(shown) };
    return nodeLocks(shown, (ep, d) => lens.isolating(ep, d));
  }, [nodeIds, grouping, lens]);

  return { edgeDrops, locks };
}
