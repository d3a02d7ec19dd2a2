"use client";

// The live service map. React owns what is shown (boxes, edges, nodes are JSX from the snapshot
// and the layout's positions); d3 only handles gestures: d3-zoom writes the zoom/pan transform
// straight onto one <g> (no React work per frame), d3-drag reports drags that end in a pin.
// See README.md beside this file for who owns which state.

import { type KeyboardEvent, memo, type ReactNode, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { type CollapsedInfo, collapseGroups } from "@/lib/service-map/collapse";
import { edgeLanes } from "@/lib/service-map/geometry";
import { type NamespaceBox, namespaceBoxes, type NodePosition } from "@/lib/service-map/layout";
import { edgeDropText, type EdgeDropPolicies, type NodeLock } from "@/lib/service-map/policy-annotations";
import type { ServiceMapEdge, ServiceMapSnapshot } from "@/lib/service-map/types";
import type { MapState } from "@/lib/service-map/wire";
import type { Grouping } from "@/lib/view-state";
import { edgeLabelsOf } from "./edge-labels";
import { emphasisOf } from "./emphasis";
import { MapControls, MapLegend } from "./map-controls";
import { EdgeLabel, type EdgeHandlers, EdgeMarkers, MapEdge } from "./map-edge";
import { MapNode, type NodeHandlers } from "./map-node";
import { MapNotes, NamespaceBoxView } from "./map-notes";
import { NodeDetails } from "./node-details";
import { layoutViewport, nodesThatFit } from "./sizing";
import { useCollapsedView } from "./use-collapsed-view";
import { type MapPolicyLens, useMapPolicy } from "./use-map-policy";
import { useMapLayout, usePersistedLayout } from "./use-map-layout";
import { useServiceMapSnapshot } from "./use-map-snapshot";
import { useMapZoom } from "./use-map-zoom";
import { useNodeDrag } from "./use-node-drag";
import { usePanelSize } from "./use-panel-size";

export interface ServiceMapProps {
  /**
   * The server's map of every flow of the view (a live view; null until its first frame). Without
   * it, the map aggregates `rows` itself (a saved investigation).
   */
  readonly server?: MapState | null;
  /** The flows to map when there is no server map, newest first (the flow buffer's order). */
  readonly rows: readonly FlowRow[];
  readonly grouping: Grouping;
  readonly selectedNodeId?: string;
  readonly selectedEdgeId?: string;
  /** Called once per user action: a node click/Enter selects it (again: clears it). */
  readonly onSelectNode: (id: string | undefined) => void;
  /** Called once per user action: an edge click/Enter selects it (again: clears it). */
  readonly onSelectEdge: (id: string | undefined) => void;
  /** Positions persist in localStorage per key (the view's namespaces); the grouping is added. */
  readonly storageKey: string;
  /** Shown instead of the default text when there are no rows (say why, if the parent knows). */
  readonly emptyMessage?: ReactNode;
  readonly className?: string;
  /** The page's policy explainer: dropped edges name their policy, default-deny nodes a lock. */
  readonly policy?: MapPolicyLens;
}

const ZOOM_STEP = 1.4;

const NO_POSITIONS: ReadonlyMap<string, NodePosition> = new Map();

type Hover = { readonly kind: "node" | "edge"; readonly id: string } | undefined;

const NO_ROWS: readonly FlowRow[] = [];

export function ServiceMap({ server, rows, grouping, onSelectNode, onSelectEdge, emptyMessage, policy, ...rest }: ServiceMapProps) {
  const ownRows = server === undefined ? rows : NO_ROWS;
  const local = useServiceMapSnapshot(ownRows, grouping);
  const snapshot = server ? server.snapshot : local;
  const { edgeDrops, locks } = useMapPolicy(ownRows, snapshot, policy, server?.edgeDrops);
  // The parent re-renders with every batch of rows; the canvas only with a new snapshot or view.
  const callbacks = useRef({ onSelectNode, onSelectEdge });
  useEffect(() => {
    callbacks.current = { onSelectNode, onSelectEdge };
  });
  const selectNode = useCallback((id: string | undefined) => callbacks.current.onSelectNode(id), []);
  const selectEdge = useCallback((id: string | undefined) => callbacks.current.onSelectEdge(id), []);
  const empty = snapshot.nodes.length === 0;
  return (
    <MapCanvas
      {...rest}
      snapshot={snapshot}
      edgeDrops={edgeDrops}
      locks={locks}
      grouping={grouping}
      onSelectNode={selectNode}
      onSelectEdge={selectEdge}
      empty={empty}
      emptyMessage={empty ? emptyMessage : undefined}
    />
  );
}

interface MapCanvasProps extends Omit<ServiceMapProps, "rows" | "policy" | "server"> {
  readonly snapshot: ServiceMapSnapshot;
  readonly edgeDrops: ReadonlyMap<string, EdgeDropPolicies>;
  readonly locks: ReadonlyMap<string, NodeLock>;
  readonly empty: boolean;
}

const MapCanvas = memo(function MapCanvas({
  snapshot,
  edgeDrops,
  locks,
  empty,
  grouping,
  selectedNodeId,
  selectedEdgeId,
  onSelectNode,
  onSelectEdge,
  storageKey,
  emptyMessage,
  className = "",
}: MapCanvasProps) {
  const stored = useMapLayout(grouping, storageKey);
  const { key: layoutKey, layout } = stored;
  const containerRef = useRef<HTMLDivElement>(null);
  const viewport = usePanelSize(containerRef);
  const { view, toggleNamespaces, selectionNamespaces } = useCollapsedView({
    snapshot,
    viewKey: layoutKey,
    capacity: viewport ? nodesThatFit(viewport) : Infinity,
    selectedNodeId,
    selectedEdgeId,
  });

  // A collapsed namespace is laid out like an entity: one card, no box of its own to keep apart.
  const layoutGraph = useMemo(() => ({ nodes: view.nodes.map((n) => (n.kind === "namespace" ? { id: n.id, namespace: "" } : n)), edges: view.edges }), [view.nodes, view.edges]);
  const positions = useMemo(() => {
    void stored.version; // a pin or a reset changes the layout without a new snapshot
    // Right after a grouping change the snapshot still has the old ids: do not place those. Nor
    // before the panel is measured: the layout follows its aspect (see sizing.ts).
    return view.grouping === grouping && viewport ? layout.update(layoutGraph, layoutViewport(viewport)) : NO_POSITIONS;
  }, [layout, layoutGraph, view.grouping, grouping, stored.version, viewport]);
  usePersistedLayout(stored, positions);

  const svgRef = useRef<SVGSVGElement>(null);
  const zoomLayerRef = useRef<SVGGElement>(null);
  const nodesLayerRef = useRef<SVGGElement>(null);
  const drawn = useRef<{ shown: ReadonlyMap<string, NodePosition>; boxes: readonly NamespaceBox[] }>({ shown: positions, boxes: [] });
  const dragging = useNodeDrag({
    nodesLayerRef,
    containerRef: zoomLayerRef,
    layout,
    shown: () => drawn.current.shown,
    onPinned: () => {
      zoom.markMoved();
      stored.bump();
    },
  });
  const shown = useMemo<ReadonlyMap<string, NodePosition>>(
    () => (dragging ? new Map(positions).set(dragging.id, { x: dragging.x, y: dragging.y, pinned: true }) : positions),
    [positions, dragging],
  );
  const boxes = useMemo(
    () =>
      namespaceBoxes(
        view.nodes.filter((n) => n.kind !== "namespace"),
        shown,
      ),
    [view.nodes, shown],
  );
  // Before the zoom's effects, so that a fit reads what this render draws.
  useEffect(() => {
    drawn.current = { shown, boxes };
  });
  const zoom = useMapZoom({ svgRef, layerRef: zoomLayerRef, content: () => drawn.current, viewKey: layoutKey, positions });

  const lanes = useMemo(() => edgeLanes(view.edges), [view.edges]);
  const nodeById = useMemo(() => new Map(view.nodes.map((n) => [n.id, n])), [view.nodes]);
  const edgeById = useMemo(() => new Map(view.edges.map((e) => [e.id, e])), [view.edges]);
  const emphasis = useMemo(() => emphasisOf(view, edgeById, selectedNodeId, selectedEdgeId), [view, edgeById, selectedNodeId, selectedEdgeId]);

  const [hover, setHover] = useState<Hover>(undefined);
  const zoomLevel = zoom.level;
  const detailed = zoomLevel >= 1;
  const markerPrefix = `sm${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;
  const { fit, zoomBy } = zoom;

  const latest = useRef({ selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge, collapsed: view.collapsed, edgeById, toggleNamespaces });
  useEffect(() => {
    latest.current = { selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge, collapsed: view.collapsed, edgeById, toggleNamespaces };
  });

  // Stable handlers, so memoised nodes and edges do not re-render for a new callback.
  const nodeHandlers = useMemo<NodeHandlers>(
    () => ({
      onSelect: (id) => {
        const l = latest.current;
        const ns = l.collapsed.namespaces.get(id);
        if (ns) l.toggleNamespaces([ns.namespace], true);
        else l.onSelectNode(l.selectedNodeId === id && !l.selectedEdgeId ? undefined : id);
      },
      onHover: (id) => setHover(id ? { kind: "node", id } : undefined),
    }),
    [],
  );
  const edgeHandlers = useMemo<EdgeHandlers>(
    () => ({
      onSelect: (id) => {
        const l = latest.current;
        const e = l.collapsed.mergedEdges.has(id) ? l.edgeById.get(id) : undefined;
        if (e) l.toggleNamespaces(collapsedEnds(e, l.collapsed), true);
        else l.onSelectEdge(l.selectedEdgeId === id ? undefined : id);
      },
      onHover: (id) => setHover(id ? { kind: "edge", id } : undefined),
    }),
    [],
  );
  const clearSelection = useCallback(() => {
    const l = latest.current;
    if (l.selectedEdgeId) l.onSelectEdge(undefined);
    else if (l.selectedNodeId) l.onSelectNode(undefined);
  }, []);

  const resetLayout = () => {
    stored.reset();
    zoom.resetMoved();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && (selectedNodeId || selectedEdgeId)) clearSelection();
    else if (e.key === "+" || e.key === "=") zoomBy(ZOOM_STEP);
    else if (e.key === "-") zoomBy(1 / ZOOM_STEP);
  };

  const hoveredNode = hover?.kind === "node" ? nodeById.get(hover.id) : undefined;
  const detailNode = hoveredNode ?? (selectedNodeId && !selectedEdgeId ? nodeById.get(selectedNodeId) : undefined);
  const hoveredEdge = hover?.kind === "edge" ? hover.id : undefined;
  const labels = useMemo(
    () => edgeLabelsOf(view, shown, lanes, edgeDrops, emphasis, [selectedEdgeId, hoveredEdge], zoomLevel === 2, detailed),
    [view, shown, lanes, edgeDrops, emphasis, selectedEdgeId, hoveredEdge, zoomLevel, detailed],
  );
  const missingSelection = view.nodes.length > 0 && ((selectedEdgeId && !edgeById.has(selectedEdgeId)) || (!selectedEdgeId && selectedNodeId && !nodeById.has(selectedNodeId)));

  return (
    <div
      ref={containerRef}
      className={`relative h-full min-h-[200px] w-full overflow-hidden rounded-md border border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950 ${className}`}
      onKeyDown={onKeyDown}
    >
      <svg
        ref={svgRef}
        className="block h-full w-full touch-none select-none"
        role="group"
        aria-label={`Service map: ${view.nodes.length} nodes, ${view.edges.length} edges${view.collapsed.namespaces.size > 0 ? `, ${view.collapsed.namespaces.size} namespaces collapsed` : ""}`}
        onClick={clearSelection}
      >
        <EdgeMarkers prefix={markerPrefix} />
        <g ref={zoomLayerRef}>
          <g>
            {boxes.map((b) => (
              <NamespaceBoxView key={b.key} box={b} onCollapse={b.key === b.namespace ? () => toggleNamespaces([b.namespace], false) : undefined} />
            ))}
          </g>
          <g>
            {view.edges.map((e) => {
              const a = shown.get(e.source);
              const b = shown.get(e.target);
              if (!a || !b) return null;
              const em = emphasis.edge(e.id);
              return (
                <MapEdge
                  key={e.id}
                  edge={e}
                  a={a}
                  b={b}
                  bend={lanes.get(e.id) ?? 0}
                  emphasis={em}
                  focusable={em === "selected" || view.collapsed.mergedEdges.has(e.id)}
                  merged={view.collapsed.mergedEdges.get(e.id)}
                  sourceLabel={nodeById.get(e.source)?.label ?? e.source}
                  targetLabel={nodeById.get(e.target)?.label ?? e.target}
                  dropText={e.verdicts.dropped + e.verdicts.audit > 0 ? edgeDropText(edgeDrops.get(e.id)) : ""}
                  markerPrefix={markerPrefix}
                  handlers={edgeHandlers}
                />
              );
            })}
          </g>
          <g ref={nodesLayerRef}>
            {view.nodes.map((n) => {
              const p = shown.get(n.id);
              if (!p) return null;
              return (
                <MapNode
                  key={n.id}
                  node={n}
                  x={p.x}
                  y={p.y}
                  pinned={p.pinned}
                  emphasis={emphasis.node(n.id)}
                  detailed={detailed}
                  lock={locks.get(n.id)}
                  members={view.collapsed.namespaces.get(n.id)?.nodes}
                  handlers={nodeHandlers}
                />
              );
            })}
          </g>
          <g aria-hidden="true">
            {labels.map((l) => (
              <EdgeLabel key={l.id} id={l.id} text={l.text} at={l} emphasised={l.id === selectedEdgeId || l.id === hoveredEdge} />
            ))}
            {detailNode && shown.get(detailNode.id) && !dragging && <NodeDetails node={detailNode} at={shown.get(detailNode.id)!} lock={locks.get(detailNode.id)} />}
          </g>
        </g>
      </svg>

      {empty ? (
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center p-6 text-center text-sm text-slate-500 dark:text-slate-400">
          {emptyMessage ?? <p>No flows to map yet. Nodes and edges appear as flows arrive for the chosen namespaces and filters.</p>}
        </div>
      ) : (
        <MapLegend />
      )}
      <MapControls
        onZoomIn={() => zoomBy(ZOOM_STEP)}
        onZoomOut={() => zoomBy(1 / ZOOM_STEP)}
        onFit={() => fit(false)}
        onResetLayout={resetLayout}
        collapsed={view.collapsed.namespaces.size}
        onExpandAll={() =>
          toggleNamespaces(
            [...view.collapsed.namespaces.values()].map((c) => c.namespace),
            true,
          )
        }
        onCollapseAll={() =>
          toggleNamespaces(
            collapseGroups(view).filter((ns) => !selectionNamespaces.has(ns)),
            false,
          )
        }
      />
      <MapNotes snapshot={snapshot} missingSelection={!!missingSelection} />
    </div>
  );
});

/** The namespaces of a merged edge's collapsed ends. */
function collapsedEnds(e: ServiceMapEdge, info: CollapsedInfo): string[] {
  return [e.source, e.target].map((id) => info.namespaces.get(id)?.namespace).filter((ns): ns is string => !!ns);
}
