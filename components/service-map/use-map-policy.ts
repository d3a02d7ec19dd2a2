"use client";

// The map's policy annotations: the policies that dropped each edge's flows, and the nodes in
// default deny (per direction) with the policies that isolate them. Recomputed with the snapshot
// (at most twice a second) and the policy version, never per frame; the node locks only when the
// set of nodes or the policies change.

import { useMemo, useRef } from "react";
import { isInvestigatedDrop } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import type { Direction, IsolatingPolicy, PolicyId } from "@/lib/policy/types";
import { edgeDropPolicies, type EdgeDropPolicies, type NodeEndpoint, nodeEndpoints, type NodeLock, nodeLocks } from "@/lib/service-map/policy-annotations";
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

  const edgeDrops = useMemo(
    () => (lens && snapshot.edges.length > 0 ? edgeDropPolicies(rowsRef.current, snapshot.grouping, isInvestigatedDrop, (r) => lens.attributedPolicies(r)) : NO_EDGES),
    [snapshot, lens],
  );

  const nodeIds = useMemo(() => snapshot.nodes.map((n) => n.id).join("\n"), [snapshot.nodes]);
  const locks = useMemo(() => {
    if (!lens || nodeIds === "") return NO_LOCKS;
    const endpoints = nodeEndpoints(rowsRef.current, grouping, new Set(nodeIds.split("\n")));
    return nodeLocks(endpoints, (ep, d) => lens.isolating(ep, d));
  }, [nodeIds, grouping, lens]);

  return { edgeDrops, locks };
}
