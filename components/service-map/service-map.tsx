"use client";

// The live service map. React owns what is shown (boxes, edges, nodes are JSX from the snapshot
// and the layout's positions); d3 only handles gestures: d3-zoom writes the zoom/pan transform
// straight onto one <g> (no React work per frame), d3-drag reports drags that end in a pin.
// See README.md beside this file for who owns which state.

import { drag, type D3DragEvent, type D3ZoomEvent, select, zoom, type ZoomBehavior, zoomIdentity } from "d3";
import { type KeyboardEvent, memo, type ReactNode, useCallback, useEffect, useId, useMemo, useReducer, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { edgeGeometry, edgeLanes } from "@/lib/service-map/geometry";
import { BOX_LABEL, contentBounds, MapLayout, type NamespaceBox, namespaceBoxes, type NodePosition } from "@/lib/service-map/layout";
import { edgeDropText, type EdgeDropPolicies, type NodeLock } from "@/lib/service-map/policy-annotations";
import type { ServiceMapEdge, ServiceMapNode, ServiceMapSnapshot } from "@/lib/service-map/types";
import type { MapState } from "@/lib/service-map/wire";
import type { Grouping } from "@/lib/view-state";
import { clip } from "./format";
import { MapControls, MapLegend } from "./map-controls";
import { EdgeLabel, type EdgeHandlers, EdgeMarkers, MapEdge } from "./map-edge";
import { type Emphasis, MapNode, type NodeHandlers } from "./map-node";
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
/** From this zoom on, every edge carries its label (otherwise: on hover and when selected). */
const EDGE_LABEL_SCALE = 1.8;
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
  const viewport = useRef({ width: 1280, height: 800 });
  const positions = useMemo(() => {
    void layoutVersion; // a pin or a reset changes the layout without a new snapshot
    // Right after a grouping change the snapshot still has the old ids: do not place those.
    return snapshot.grouping === grouping ? layout.update(snapshot, viewport.current) : NO_POSITIONS;
  }, [layout, snapshot, grouping, layoutVersion]);
  const [dragging, setDragging] = useState<DragState | null>(null);
  const shown = useMemo<ReadonlyMap<string, NodePosition>>(
    () => (dragging ? new Map(positions).set(dragging.id, { x: dragging.x, y: dragging.y, pinned: true }) : positions),
    [positions, dragging],
  );
  const boxes = useMemo(() => namespaceBoxes(snapshot.nodes, shown), [snapshot.nodes, shown]);
  const lanes = useMemo(() => edgeLanes(snapshot.edges), [snapshot.edges]);
  const nodeById = useMemo(() => new Map(snapshot.nodes.map((n) => [n.id, n])), [snapshot.nodes]);
  const edgeById = useMemo(() => new Map(snapshot.edges.map((e) => [e.id, e])), [snapshot.edges]);
  const emphasis = useMemo(() => emphasisOf(snapshot, edgeById, selectedNodeId, selectedEdgeId), [snapshot, edgeById, selectedNodeId, selectedEdgeId]);

  const [hover, setHover] = useState<Hover>(undefined);
  const [zoomLevel, setZoomLevel] = useState<0 | 1 | 2>(0);
  const detailed = zoomLevel >= 1;
  const markerPrefix = `sm${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;

  const containerRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const zoomLayerRef = useRef<SVGGElement>(null);
  const nodesLayerRef = useRef<SVGGElement>(null);
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | undefined>(undefined);
  const userMovedView = useRef(false);
  const latest = useRef({ shown, boxes, selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge });
  useEffect(() => {
    latest.current = { shown, boxes, selectedNodeId, selectedEdgeId, onSelectNode, onSelectEdge };
  });

  // Stable handlers, so memoised nodes and edges do not re-render for a new callback.
  const nodeHandlers = useMemo<NodeHandlers>(
    () => ({
      onSelect: (id) => {
        const l = latest.current;
        l.onSelectNode(l.selectedNodeId === id && !l.selectedEdgeId ? undefined : id);
      },
      onHover: (id) => setHover(id ? { kind: "node", id } : undefined),
    }),
    [],
  );
  const edgeHandlers = useMemo<EdgeHandlers>(
    () => ({
      onSelect: (id) => {
        const l = latest.current;
        l.onSelectEdge(l.selectedEdgeId === id ? undefined : id);
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

  const fit = useCallback(() => {
    const svg = svgRef.current;
    const z = zoomRef.current;
    const b = contentBounds(latest.current.shown.values(), latest.current.boxes);
    if (!svg || !z || !b) return;
    const { width, height } = svg.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    const pad = 32;
    const k = clamp(Math.min((width - 2 * pad) / b.width, (height - 2 * pad) / b.height), MIN_SCALE, MAX_FIT_SCALE);
    const t = zoomIdentity.translate(width / 2 - k * (b.x + b.width / 2), height / 2 - k * (b.y + b.height / 2)).scale(k);
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

  // The viewport size places the very first node; resizing never moves nodes.
  useEffect(() => {
    const el = containerRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      if (width > 0 && height > 0) viewport.current = { width, height };
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Fit the view to the map until the user zooms, pans or drags; a new view fits again.
  useEffect(() => {
    userMovedView.current = false;
  }, [layoutKey]);
  useEffect(() => {
    if (!userMovedView.current && positions.size > 0) fit();
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
  const labelledEdges = [hover?.kind === "edge" ? hover.id : undefined, selectedEdgeId].filter((id, i, all): id is string => !!id && all.indexOf(id) === i);
  const missingSelection = snapshot.nodes.length > 0 && ((selectedEdgeId && !edgeById.has(selectedEdgeId)) || (!selectedEdgeId && selectedNodeId && !nodeById.has(selectedNodeId)));

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
        aria-label={`Service map: ${snapshot.nodes.length} nodes, ${snapshot.edges.length} edges`}
        onClick={clearSelection}
      >
        <EdgeMarkers prefix={markerPrefix} />
        <g ref={zoomLayerRef}>
          <g aria-hidden="true">
            {boxes.map((b) => (
              <NamespaceBoxView key={b.key} box={b} />
            ))}
          </g>
          <g>
            {snapshot.edges.map((e) => {
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
                  focusable={em === "selected"}
                  labelWindowMs={zoomLevel === 2 && em !== "dim" ? snapshot.windowMs : undefined}
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
            {snapshot.nodes.map((n) => {
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
                  handlers={nodeHandlers}
                />
              );
            })}
          </g>
          <g aria-hidden="true">
            {labelledEdges.map((id) => {
              const e = edgeById.get(id);
              const a = e && shown.get(e.source);
              const b = e && shown.get(e.target);
              if (!e || !a || !b) return null;
              const g = edgeGeometry(e.source, e.target, a, b, lanes.get(e.id) ?? 0);
              const dropText = e.verdicts.dropped + e.verdicts.audit > 0 ? edgeDropText(edgeDrops.get(e.id)) : "";
              return <EdgeLabel key={id} edge={e} at={g.label} windowMs={snapshot.windowMs} dropText={dropText} emphasised />;
            })}
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
      <MapControls onZoomIn={() => zoomBy(ZOOM_STEP)} onZoomOut={() => zoomBy(1 / ZOOM_STEP)} onFit={fit} onResetLayout={resetLayout} />
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

function NamespaceBoxView({ box }: { box: NamespaceBox }) {
  return (
    <g>
      <rect
        x={box.x}
        y={box.y}
        width={box.width}
        height={box.height}
        rx={10}
        className="fill-slate-100/70 stroke-slate-300 dark:fill-slate-900/60 dark:stroke-slate-700"
        strokeDasharray="4 3"
      />
      <text x={box.x + 10} y={box.y + BOX_LABEL - 6} className="fill-slate-500 text-[12px] font-semibold dark:fill-slate-400">
        {clip(box.namespace, Math.max(8, Math.floor(box.width / 7.5)))}
      </text>
    </g>
  );
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
