"use client";

// The live service map. React owns what is shown (boxes, edges, nodes are JSX from the snapshot
// and the layout's positions); d3 only handles gestures: d3-zoom writes the zoom/pan transform
// straight onto one <g> (no React work per frame), d3-drag reports drags that end in a pin.
// See README.md beside this file for who owns which state.

import { drag, type D3DragEvent, type D3ZoomEvent, select, zoom, type ZoomBehavior, zoomIdentity } from "d3";
import { type KeyboardEvent, memo, type ReactNode, useCallback, useEffect, useId, useLayoutEffect, useMemo, useReducer, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { edgeGeometry, edgeLanes } from "@/lib/service-map/geometry";
import { collapseNamespaces, type CollapsedInfo, focusNamespaces, namespacesToCollapse } from "@/lib/service-map/collapse";
import { placeEdgeLabels, type LabelRequest } from "@/lib/service-map/label-placement";
import {
  BOX_LABEL,
  contentBounds,
  MapLayout,
  type NamespaceBox,
  namespaceBoxes,
  NODE_H,
  NODE_W,
  type NodePosition,
  type Rect,
  type ViewportSize,
  viewportGrid,
} from "@/lib/service-map/layout";
import { edgeDropText, type EdgeDropPolicies, type NodeLock } from "@/lib/service-map/policy-annotations";
import type { ServiceMapEdge, ServiceMapNode, ServiceMapSnapshot } from "@/lib/service-map/types";
import type { MapState } from "@/lib/service-map/wire";
import type { Grouping } from "@/lib/view-state";
import { clip } from "./format";
import { MapControls, MapLegend } from "./map-controls";
import { EdgeLabel, edgeLabelText, edgeLabelWidth, type EdgeHandlers, EdgeMarkers, LABEL_H, MapEdge } from "./map-edge";
import { type Emphasis, MapNode, NODE_LABEL_FONT, type NodeHandlers } from "./map-node";
import { NodeDetails } from "./node-details";
import { useServiceMapSnapshot } from "./use-map-snapshot";
import { type MapPolicyLens, useMapPolicy } from "./use-map-policy";

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

/** From this zoom on, destination cards list their endpoints and DNS names. */
const DETAIL_SCALE = 1.3;
/** From this zoom on, edges carry their labels where they fit (otherwise: on hover and when selected). */
const EDGE_LABEL_SCALE = 1.8;
/** Node names are never drawn smaller than this (px on screen) by the automatic fit. */
export const NODE_LABEL_MIN_PX = 11;
/** The smallest zoom at which node names are legible: the automatic fit never goes below it. */
const LEGIBLE_SCALE = NODE_LABEL_MIN_PX / NODE_LABEL_FONT;
/** Share of the grid cells a layout fills in practice (namespace boxes and gaps take the rest). */
const CELL_FILL = 0.85;
/** Never collapse a map of this many nodes or fewer. */
const MIN_CAPACITY = 12;
/** Room kept at the bottom of the panel for the legend and the view's buttons (side by side there). */
const BOTTOM_BAR_H = 36;
/** The panel's height the drawing may use: above the legend and the buttons. */
const drawableHeight = (height: number) => height - BOTTOM_BAR_H;
const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const MAX_FIT_SCALE = 1.5;
const ZOOM_STEP = 1.4;
const STORAGE_PREFIX = "hubble-lens:map-layout:v1:";
const SAVE_INTERVAL_MS = 1000;

interface DragState {
  readonly id: string;
  readonly x: number;
  readonly y: number;
}

const NO_POSITIONS: ReadonlyMap<string, NodePosition> = new Map();
const NO_NAMESPACES: ReadonlySet<string> = new Set();

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
  const layoutKey = `${STORAGE_PREFIX}${grouping}:${storageKey}`;
  const layout = useMemo(() => loadLayout(layoutKey), [layoutKey]);
  const [layoutVersion, bumpLayout] = useReducer((n: number) => n + 1, 0);
  const containerRef = useRef<HTMLDivElement>(null);
  const viewport = usePanelSize(containerRef);

  // Collapsed namespaces: those the map collapsed to stay legible (sticky for the view, so the map
  // does not flip as nodes arrive) and those the user collapsed, minus those the user expanded and
  // those holding the selection.
  const [toggled, setToggled] = useState<{ key: string; expanded: ReadonlySet<string>; collapsed: ReadonlySet<string> }>({
    key: layoutKey,
    expanded: new Set(),
    collapsed: new Set(),
  });
  const user = toggled.key === layoutKey ? toggled : { key: layoutKey, expanded: NO_NAMESPACES, collapsed: NO_NAMESPACES };
  const autoCollapsed = useRef<{ key: string; set: Set<string> }>({ key: layoutKey, set: new Set() });
  if (autoCollapsed.current.key !== layoutKey) autoCollapsed.current = { key: layoutKey, set: new Set() };
  const selectionNamespaces = useMemo(() => {
    const keep = new Set<string>();
    for (const id of selectedEdgeId ? selectedEdgeId.split("|").slice(0, 2) : selectedNodeId ? [selectedNodeId] : []) {
      const ns = snapshot.nodes.find((n) => n.id === id)?.namespace;
      if (ns) keep.add(ns);
    }
    return keep;
  }, [snapshot.nodes, selectedNodeId, selectedEdgeId]);
  const capacity = viewport ? nodesThatFit(viewport) : Infinity;
  const view = useMemo(() => {
    const auto = autoCollapsed.current.set;
    // What is shown with the namespaces collapsed so far (a collapsed one counts as one node).
    const folded = new Set([...auto].filter((ns) => !user.expanded.has(ns) && !selectionNamespaces.has(ns)));
    const shownNodes: { namespace: string }[] = snapshot.nodes.filter((n) => !folded.has(n.namespace));
    for (const ns of folded) if (snapshot.namespaces.includes(ns)) shownNodes.push({ namespace: "" });
    // Once the user expanded or collapsed a namespace, the map stops deciding for them.
    if (shownNodes.length > capacity && user.expanded.size === 0 && user.collapsed.size === 0) {
      const keep = new Set([...selectionNamespaces, ...focusNamespaces(snapshot)]);
      for (const ns of namespacesToCollapse(shownNodes, capacity, keep)) auto.add(ns);
    }
    const collapse = new Set([...auto, ...user.collapsed].filter((ns) => !user.expanded.has(ns) && !selectionNamespaces.has(ns)));
    return collapseNamespaces(snapshot, collapse);
  }, [snapshot, capacity, user.expanded, user.collapsed, selectionNamespaces]);
  const toggleNamespaces = useCallback(
    (namespaces: readonly string[], expand: boolean) =>
      setToggled((t) => {
        const base = t.key === layoutKey ? t : { key: layoutKey, expanded: NO_NAMESPACES, collapsed: NO_NAMESPACES };
        const expanded = new Set(base.expanded);
        const collapsed = new Set(base.collapsed);
        for (const ns of namespaces) {
          if (expand) {
            expanded.add(ns);
            collapsed.delete(ns);
          } else {
            collapsed.add(ns);
            expanded.delete(ns);
          }
        }
        return { key: layoutKey, expanded, collapsed };
      }),
    [layoutKey],
  );

  // A collapsed namespace is laid out like an entity: one card, no box of its own to keep apart.
  const layoutGraph = useMemo(() => ({ nodes: view.nodes.map((n) => (n.kind === "namespace" ? { id: n.id, namespace: "" } : n)), edges: view.edges }), [view.nodes, view.edges]);
  const positions = useMemo(() => {
    void layoutVersion; // a pin or a reset changes the layout without a new snapshot
    // Right after a grouping change the snapshot still has the old ids: do not place those. Nor
    // before the panel is measured: the layout follows its aspect.
    // The layout's viewport is the panel at the legible zoom, so the map is laid out to be read there.
    return view.grouping === grouping && viewport
      ? layout.update(layoutGraph, { width: viewport.width / LEGIBLE_SCALE, height: drawableHeight(viewport.height) / LEGIBLE_SCALE })
      : NO_POSITIONS;
  }, [layout, layoutGraph, view.grouping, grouping, layoutVersion, viewport]);
  const [dragging, setDragging] = useState<DragState | null>(null);
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
  const lanes = useMemo(() => edgeLanes(view.edges), [view.edges]);
  const nodeById = useMemo(() => new Map(view.nodes.map((n) => [n.id, n])), [view.nodes]);
  const edgeById = useMemo(() => new Map(view.edges.map((e) => [e.id, e])), [view.edges]);
  const emphasis = useMemo(() => emphasisOf(view, edgeById, selectedNodeId, selectedEdgeId), [view, edgeById, selectedNodeId, selectedEdgeId]);

  const [hover, setHover] = useState<Hover>(undefined);
  const [zoomLevel, setZoomLevel] = useState<0 | 1 | 2>(0);
  const detailed = zoomLevel >= 1;
  const markerPrefix = `sm${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;

  const svgRef = useRef<SVGSVGElement>(null);
  const zoomLayerRef = useRef<SVGGElement>(null);
  const nodesLayerRef = useRef<SVGGElement>(null);
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | undefined>(undefined);
  const userMovedView = useRef(false);
  const latest = useRef({ shown, boxes, selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge, collapsed: view.collapsed, edgeById, toggleNamespaces });
  useEffect(() => {
    latest.current = { shown, boxes, selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge, collapsed: view.collapsed, edgeById, toggleNamespaces };
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

  // The automatic fit keeps node names legible (a larger map is shown from its centre and can be
  // panned; it is collapsed by namespace long before that); the Fit button shows everything.
  const fit = useCallback((legible: boolean) => {
    const svg = svgRef.current;
    const z = zoomRef.current;
    const b = contentBounds(latest.current.shown.values(), latest.current.boxes);
    if (!svg || !z || !b) return;
    const { width, height } = svg.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    const pad = 16;
    const k = clamp(Math.min((width - 2 * pad) / b.width, (drawableHeight(height) - pad) / b.height), legible ? LEGIBLE_SCALE : MIN_SCALE, MAX_FIT_SCALE);
    const t = zoomIdentity.translate(width / 2 - k * (b.x + b.width / 2), drawableHeight(height) / 2 - k * (b.y + b.height / 2)).scale(k);
    z.transform(select(svg), t);
  }, []);

  const zoomBy = useCallback((factor: number) => {
    const svg = svgRef.current;
    if (svg && zoomRef.current) zoomRef.current.scaleBy(select(svg), factor);
  }, []);

  // d3-zoom: the transform goes onto the zoom layer directly; React hears only of detail changes.
  useEffect(() => {
    const svg = svgRef.current;
    const layer = zoomLayerRef.current;
    if (!svg || !layer) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([MIN_SCALE, MAX_SCALE])
      .on("zoom", (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        layer.setAttribute("transform", e.transform.toString());
        if (e.sourceEvent) userMovedView.current = true;
        setZoomLevel(e.transform.k >= EDGE_LABEL_SCALE ? 2 : e.transform.k >= DETAIL_SCALE ? 1 : 0);
      });
    const selection = select(svg);
    selection.call(z).on("dblclick.zoom", null);
    zoomRef.current = z;
    return () => {
      selection.on(".zoom", null);
      zoomRef.current = undefined;
    };
  }, []);

  // d3-drag on the nodes layer: the subject is the node card under the pointer (none: the event
  // goes on to d3-zoom and pans). Moves are coalesced per animation frame; the drop pins.
  useEffect(() => {
    const nodesLayer = nodesLayerRef.current;
    const container = zoomLayerRef.current;
    if (!nodesLayer || !container) return;
    let frame = 0;
    let pending: DragState | null = null;
    const behaviour = drag<SVGGElement, unknown, DragState>()
      .container(container)
      .subject((event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        const target = (event.sourceEvent as Event | undefined)?.target;
        const card = target instanceof Element ? target.closest("[data-node-id]") : null;
        const id = card?.getAttribute("data-node-id");
        const p = id ? latest.current.shown.get(id) : undefined;
        return (id && p ? { id, x: p.x, y: p.y } : null) as DragState;
      })
      .on("start", () => {
        pending = null;
      })
      .on("drag", (event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        pending = { id: event.subject.id, x: event.x, y: event.y };
        if (frame === 0)
          frame = requestAnimationFrame(() => {
            frame = 0;
            if (pending) setDragging(pending);
          });
      })
      .on("end", (event: D3DragEvent<SVGGElement, unknown, DragState>) => {
        cancelAnimationFrame(frame);
        frame = 0;
        if (pending) {
          layout.pin(event.subject.id, event.x, event.y);
          userMovedView.current = true;
          bumpLayout();
        }
        pending = null;
        setDragging(null);
      });
    const selection = select(nodesLayer);
    selection.call(behaviour);
    return () => {
      selection.on(".drag", null);
      cancelAnimationFrame(frame);
    };
  }, [layout]);

  // Fit the view to the map until the user zooms, pans or drags; a new view fits again.
  useEffect(() => {
    userMovedView.current = false;
  }, [layoutKey]);
  useEffect(() => {
    if (!userMovedView.current && positions.size > 0) fit(true);
  }, [positions, fit]);

  // Persist positions at most once a second while they change, and when the view goes away.
  const saved = useRef({ key: layoutKey, revision: layout.revision, at: 0 });
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (saveTimer.current !== undefined) return;
    if (saved.current.key === layoutKey && saved.current.revision === layout.revision) return;
    const wait = Math.max(0, SAVE_INTERVAL_MS - (Date.now() - saved.current.at));
    saveTimer.current = setTimeout(() => {
      saveTimer.current = undefined;
      saveLayout(layoutKey, layout);
      saved.current = { key: layoutKey, revision: layout.revision, at: Date.now() };
    }, wait);
  }, [positions, layout, layoutKey]);
  useEffect(
    () => () => {
      clearTimeout(saveTimer.current);
      saveTimer.current = undefined;
      saveLayout(layoutKey, layout);
    },
    [layout, layoutKey],
  );

  const resetLayout = useCallback(() => {
    layout.clear();
    removeLayout(layoutKey);
    userMovedView.current = false;
    bumpLayout();
  }, [layout, layoutKey]);

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
            view.namespaces.filter((ns) => !selectionNamespaces.has(ns)),
            false,
          )
        }
      />
      <MapNotes snapshot={snapshot} missingSelection={!!missingSelection} />
    </div>
  );
});

function MapNotes({ snapshot, missingSelection }: { snapshot: ServiceMapSnapshot; missingSelection: boolean }) {
  const t = snapshot.truncated;
  if (t.rows === 0 && !missingSelection) return null;
  return (
    <div role="status" className="absolute top-2 left-2 max-w-[60%] space-y-1 text-xs">
      {missingSelection && (
        <p className="rounded bg-white/90 px-2 py-1 text-slate-600 shadow-sm dark:bg-slate-900/90 dark:text-slate-300">The selection is not among the flows shown.</p>
      )}
      {t.rows > 0 && (
        <p className="rounded bg-amber-50/95 px-2 py-1 text-amber-800 shadow-sm dark:bg-amber-950/90 dark:text-amber-200">
          {t.rows.toLocaleString("en-US")} flows not drawn: the map is limited in nodes and edges. Narrow the namespaces or filters.
        </p>
      )}
    </div>
  );
}

function NamespaceBoxView({ box, onCollapse }: { box: NamespaceBox; onCollapse?: () => void }) {
  const label = clip(box.namespace, Math.max(8, Math.floor((box.width - 28) / 7.5)));
  return (
    <g>
      <rect
        x={box.x}
        y={box.y}
        width={box.width}
        height={box.height}
        rx={10}
        aria-hidden="true"
        className="fill-slate-100/70 stroke-slate-300 dark:fill-slate-900/60 dark:stroke-slate-700"
        strokeDasharray="4 3"
      />
      {onCollapse ? (
        <g
          role="button"
          tabIndex={0}
          data-collapse-namespace={box.namespace}
          aria-label={`Collapse namespace ${box.namespace}`}
          className="group cursor-pointer outline-none"
          onClick={(e) => {
            e.stopPropagation();
            onCollapse();
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" || e.key === " ") {
              e.preventDefault();
              e.stopPropagation();
              onCollapse();
            }
          }}
        >
          <title>{`Collapse ${box.namespace} into one node`}</title>
          <rect
            x={box.x + 4}
            y={box.y + 3}
            width={Math.min(box.width - 8, label.length * 7.5 + 26)}
            height={BOX_LABEL - 4}
            rx={4}
            className="fill-transparent group-hover:fill-slate-200 group-focus-visible:stroke-sky-500 dark:group-hover:fill-slate-800"
          />
          <text x={box.x + 10} y={box.y + BOX_LABEL - 6} className="fill-slate-500 text-[12px] font-semibold dark:fill-slate-400">
            {`− ${label}`}
          </text>
        </g>
      ) : (
        <text x={box.x + 10} y={box.y + BOX_LABEL - 6} aria-hidden="true" className="fill-slate-500 text-[12px] font-semibold dark:fill-slate-400">
          {label}
        </text>
      )}
    </g>
  );
}

/** How many node cards fit the panel at a legible zoom (the default threshold for collapsing). */
function nodesThatFit(viewport: ViewportSize): number {
  const { cols, rows } = viewportGrid({ width: viewport.width / LEGIBLE_SCALE, height: drawableHeight(viewport.height) / LEGIBLE_SCALE });
  // A dozen nodes stay expanded even in a small panel: fewer would say too little.
  return Math.max(MIN_CAPACITY, Math.floor(cols * rows * CELL_FILL));
}

/** The namespaces of a merged edge's collapsed ends. */
function collapsedEnds(e: ServiceMapEdge, info: CollapsedInfo): string[] {
  return [e.source, e.target].map((id) => info.namespaces.get(id)?.namespace).filter((ns): ns is string => !!ns);
}

/** The panel's size, measured before the first paint and on every resize; undefined until then. */
function usePanelSize(ref: { readonly current: HTMLElement | null }): ViewportSize | undefined {
  const [size, setSize] = useState<ViewportSize>();
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (width: number, height: number) => {
      if (width > 0 && height > 0) setSize((s) => (s && Math.abs(s.width - width) < 1 && Math.abs(s.height - height) < 1 ? s : { width, height }));
    };
    const r = el.getBoundingClientRect();
    measure(r.width, r.height);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(([entry]) => measure(entry.contentRect.width, entry.contentRect.height));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

interface PlacedEdgeLabel {
  readonly id: string;
  readonly text: string;
  readonly x: number;
  readonly y: number;
}

/**
 * The edge labels to draw: the selected and hovered edges' always; zoomed in, every other edge's
 * that fits without covering a label or a card (busiest first). Never two on one another.
 */
function edgeLabelsOf(
  view: ServiceMapSnapshot,
  shown: ReadonlyMap<string, NodePosition>,
  lanes: ReadonlyMap<string, number>,
  edgeDrops: ReadonlyMap<string, EdgeDropPolicies>,
  emphasis: { edge: (id: string) => Emphasis },
  required: readonly (string | undefined)[],
  all: boolean,
  detailed: boolean,
): PlacedEdgeLabel[] {
  const requests: LabelRequest[] = [];
  const texts = new Map<string, string>();
  for (const e of view.edges) {
    const isRequired = required.includes(e.id);
    if (!isRequired && (!all || emphasis.edge(e.id) === "dim")) continue;
    const a = shown.get(e.source);
    const b = shown.get(e.target);
    if (!a || !b) continue;
    const g = edgeGeometry(e.source, e.target, a, b, lanes.get(e.id) ?? 0);
    const dropText = e.verdicts.dropped + e.verdicts.audit > 0 ? edgeDropText(edgeDrops.get(e.id)) : "";
    const text = edgeLabelText(e, view.windowMs, dropText);
    texts.set(e.id, text);
    requests.push({ id: e.id, x: g.label.x, y: g.label.y, width: edgeLabelWidth(text), height: LABEL_H, required: isRequired, priority: e.flows });
  }
  if (requests.length === 0) return [];
  const cards: Rect[] = [];
  // Zoomed in, destination cards list endpoints below them: keep labels off those lines too.
  const below = detailed ? 44 : 0;
  if (all) for (const p of shown.values()) cards.push({ x: p.x - NODE_W / 2, y: p.y - NODE_H / 2, width: NODE_W, height: NODE_H + below });
  return placeEdgeLabels(requests, cards).map((p) => ({ ...p, text: texts.get(p.id)! }));
}

function emphasisOf(
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

function loadLayout(key: string): MapLayout {
  const layout = new MapLayout();
  if (typeof window === "undefined") return layout;
  try {
    const raw = window.localStorage.getItem(key);
    if (raw) layout.restore(JSON.parse(raw));
  } catch {
    // Unreadable or blocked storage: start with a fresh layout.
  }
  return layout;
}

function saveLayout(key: string, layout: MapLayout): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(layout.serialize()));
  } catch {
    // Quota or blocked storage: positions then last for this page only.
  }
}

function removeLayout(key: string): void {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // Nothing to remove.
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
