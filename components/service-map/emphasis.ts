// What a selection brings forward on the map: the selected node or edge, its neighbours and edges;
// everything else is dimmed.

import type { ServiceMapEdge, ServiceMapNode, ServiceMapSnapshot } from "@/lib/service-map/types";
import type { Emphasis } from "./map-node";

export function emphasisOf(
  snapshot: ServiceMapSnapshot,
  edgeById: ReadonlyMap<string, ServiceMapEdge>,
  selectedNodeId: string | undefined,
  selectedEdgeId: string | undefined,
): { node: (id: string) => Emphasis; edge: (id: string) => Emphasis } {
  const nodes = new Map<string, Emphasis>();
  const edges = new Map<string, Emphasis>();
  const selectedEdge = selectedEdgeId ? edgeById.get(selectedEdgeId) : undefined;
  if (selectedEdge) {
    edges.set(selectedEdge.id, "selected");
    nodes.set(selectedEdge.source, "related");
    nodes.set(selectedEdge.target, "related");
  } else if (selectedNodeId && snapshot.nodes.some((n: ServiceMapNode) => n.id === selectedNodeId)) {
    for (const e of snapshot.edges) {
      if (e.source !== selectedNodeId && e.target !== selectedNodeId) continue;
      edges.set(e.id, "selected");
      nodes.set(e.source, "related");
      nodes.set(e.target, "related");
    }
    nodes.set(selectedNodeId, "selected");
  }
  const active = nodes.size > 0;
  return {
    node: (id) => nodes.get(id) ?? (active ? "dim" : "normal"),
    edge: (id) => edges.get(id) ?? (active ? "dim" : "normal"),
  };
}
