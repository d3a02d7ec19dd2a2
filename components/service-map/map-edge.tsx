"use client";

import { type KeyboardEvent, memo } from "react";
import { edgeGeometry, type Point } from "@/lib/service-map/geometry";
import { edgeHealth, type EdgeHealthClass } from "@/lib/service-map/edge-health";
import { authenticatedText, edgeSecurity, encryptedText } from "@/lib/service-map/edge-security";
import type { ServiceMapEdge } from "@/lib/service-map/types";
import { clip, edgeAriaLabel, edgeLabelParts } from "./format";
import type { Emphasis } from "./map-node";

export interface EdgeHandlers {
  readonly onSelect: (id: string) => void;
  readonly onHover: (id: string | undefined) => void;
}

export const EDGE_STROKE: Record<EdgeHealthClass, string> = {
  healthy: "stroke-slate-400 dark:stroke-slate-500",
  dropped: "stroke-red-600 dark:stroke-red-400",
  "partly-dropped": "stroke-red-500 dark:stroke-red-400",
  "http-errors": "stroke-orange-500 dark:stroke-orange-400",
  error: "stroke-fuchsia-500 dark:stroke-fuchsia-400",
  audit: "stroke-amber-500 dark:stroke-amber-400",
};

const ARROW_FILL: Record<EdgeHealthClass, string> = {
  healthy: "fill-slate-500 dark:fill-slate-400",
  dropped: "fill-red-600 dark:fill-red-400",
  "partly-dropped": "fill-red-500 dark:fill-red-400",
  "http-errors": "fill-orange-500 dark:fill-orange-400",
  error: "fill-fuchsia-500 dark:fill-fuchsia-400",
  audit: "fill-amber-500 dark:fill-amber-400",
};

/** Partly dropped edges are dashed: red, but not "mostly dropped". */
export const EDGE_DASH: Partial<Record<EdgeHealthClass, string>> = { "partly-dropped": "6 4" };

const CLASSES: readonly EdgeHealthClass[] = ["healthy", "dropped", "partly-dropped", "http-errors", "error", "audit"];

export function markerId(prefix: string, kind: EdgeHealthClass): string {
  return `${prefix}-arrow-${kind}`;
}

/** Arrowheads, one per edge colour (markers do not inherit the path's colour everywhere). */
export function EdgeMarkers({ prefix }: { prefix: string }) {
  return (
    <defs>
      {CLASSES.map((d) => (
        <marker key={d} id={markerId(prefix, d)} viewBox="0 0 10 10" refX={9} refY={5} markerWidth={7} markerHeight={7} orient="auto-start-reverse" markerUnits="userSpaceOnUse">
          <path d="M0,0L10,5L0,10z" className={ARROW_FILL[d]} />
        </marker>
      ))}
    </defs>
  );
}

/**
 * One edge: a visible path coloured by its health (`edgeHealth`: dropped share, HTTP 5xx share;
 * dashed when partly dropped), small marks for a trace of drops or 5xx, and a wide transparent path
 * that takes the pointer. Memoised on its geometry and emphasis; its label is drawn by the map.
 */
export const MapEdge = memo(function MapEdge({
  edge,
  a,
  b,
  bend,
  emphasis,
  focusable,
  merged,
  sourceLabel,
  targetLabel,
  dropText,
  markerPrefix,
  handlers,
}: {
  edge: ServiceMapEdge;
  a: Point;
  b: Point;
  bend: number;
  emphasis: Emphasis;
  focusable: boolean;
  /** For an edge of collapsed namespaces: how many edges it sums (a click expands its namespaces). */
  merged?: number;
  sourceLabel: string;
  targetLabel: string;
  /** "dropped by payments/default-deny": the policy charged with the edge's drops; "" if none. */
  dropText: string;
  markerPrefix: string;
  handlers: EdgeHandlers;
}) {
  const g = edgeGeometry(edge.source, edge.target, a, b, bend);
  const health = edgeHealth(edge);
  const security = edgeSecurity(edge);
  const name = `${edgeAriaLabel(edge, sourceLabel, targetLabel, health)}${dropText ? `, ${dropText}` : ""}${merged ? `; sums ${merged} edges, press Enter to expand` : ""}`;
  const width = emphasis === "selected" ? 3 : 1.25 + Math.min(2.5, Math.log10(1 + edge.flows) / 2);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.stopPropagation();
      handlers.onSelect(edge.id);
    }
  };
  return (
    <g
      data-edge-id={merged ? undefined : edge.id}
      data-merged-edge-id={merged ? edge.id : undefined}
      data-drop-policy={dropText || undefined}
      data-health={health.kind}
      role="button"
      tabIndex={focusable ? 0 : undefined}
      aria-label={name}
      aria-pressed={emphasis === "selected"}
      className={`cursor-pointer outline-none ${emphasis === "dim" ? "opacity-15" : ""}`}
      onClick={(e) => {
        e.stopPropagation();
        handlers.onSelect(edge.id);
      }}
      onKeyDown={onKeyDown}
      onPointerEnter={() => handlers.onHover(edge.id)}
      onPointerLeave={() => handlers.onHover(undefined)}
      onFocus={() => handlers.onHover(edge.id)}
      onBlur={() => handlers.onHover(undefined)}
    >
      {dropText && <title>{dropText}</title>}
      <path d={g.d} fill="none" stroke="transparent" strokeWidth={12} style={{ pointerEvents: "stroke" }} />
      <path
        d={g.d}
        fill="none"
        strokeWidth={width}
        strokeDasharray={EDGE_DASH[health.kind]}
        markerEnd={`url(#${markerId(markerPrefix, health.kind)})`}
        className={`${EDGE_STROKE[health.kind]} pointer-events-none`}
      />
      {health.minorDrops && (
        <circle
          data-mark="drops"
          cx={g.label.x}
          cy={g.label.y}
          r={3.5}
          className="pointer-events-none fill-red-600 stroke-white dark:fill-red-400 dark:stroke-slate-950"
          strokeWidth={1}
        />
      )}
      {health.minorHttpErrors && (
        <circle
          data-mark="http-errors"
          cx={g.label.x + (health.minorDrops ? 8 : 0)}
          cy={g.label.y}
          r={3.5}
          className="pointer-events-none fill-orange-500 stroke-white dark:fill-orange-400 dark:stroke-slate-950"
          strokeWidth={1}
        />
      )}
      {/* Above the line's middle, side by side, clear of the drop / 5xx dots on it. */}
      {security.encrypted && (
        <g data-mark="encrypted" transform={`translate(${g.label.x - (security.authenticated ? 8 : 0)},${g.label.y - 10})`}>
          <title>{encryptedText(edge)}</title>
          <EncryptedGlyph />
        </g>
      )}
      {security.authenticated && (
        <g data-mark="authenticated" transform={`translate(${g.label.x + (security.encrypted ? 8 : 0)},${g.label.y - 10})`}>
          <title>{authenticatedText(edge)}</title>
          <AuthenticatedGlyph />
        </g>
      )}
    </g>
  );
});

/** Encrypted between nodes: a small emerald padlock on a plate, centred on (0, 0). */
export function EncryptedGlyph() {
  return (
    <>
      <circle r={7} className="fill-white stroke-emerald-600 dark:fill-slate-950 dark:stroke-emerald-400" strokeWidth={1} />
      <rect x={-3.2} y={-0.8} width={6.4} height={4.6} rx={0.8} className="fill-emerald-600 dark:fill-emerald-400" />
      <path d="M-2,-0.8v-1.4a2,2 0 0 1 4,0v1.4" className="fill-none stroke-emerald-600 dark:stroke-emerald-400" strokeWidth={1.3} />
    </>
  );
}

/** Mutually authenticated: a small indigo shield with a tick, centred on (0, 0). */
export function AuthenticatedGlyph() {
  return (
    <>
      <circle r={7} className="fill-white stroke-indigo-600 dark:fill-slate-950 dark:stroke-indigo-400" strokeWidth={1} />
      <path d="M0,-4.6L3.8,-3.1V0.2C3.8,2.6 2,4 0,4.9C-2,4 -3.8,2.6 -3.8,0.2V-3.1Z" className="fill-indigo-600 dark:fill-indigo-400" />
      <path d="M-1.8,0.1L-0.4,1.5L1.9,-1.1" className="fill-none stroke-white dark:stroke-slate-950" strokeWidth={1.2} />
    </>
  );
}

export const LABEL_CHAR_W = 6.1;
export const LABEL_H = 18;

/** The text of an edge's label: port, flows/s, drops, HTTP 5xx share and p50/p95, and the dropping policy. */
export function edgeLabelText(edge: ServiceMapEdge, windowMs: number, dropText: string): string {
  return clip([...edgeLabelParts(edge, windowMs), ...(dropText ? [dropText] : [])].join(" · "), 120);
}

export function edgeLabelWidth(text: string): number {
  return text.length * LABEL_CHAR_W + 10;
}

/** An edge's label on a small plate, centred at `at` (placed by `placeEdgeLabels`, never on another). */
export function EdgeLabel({ id, text, at, emphasised = false }: { id: string; text: string; at: Point; emphasised?: boolean }) {
  const w = edgeLabelWidth(text);
  return (
    <g data-edge-label={id} transform={`translate(${at.x},${at.y})`} className="pointer-events-none select-none">
      <rect
        x={-w / 2}
        y={-LABEL_H / 2}
        width={w}
        height={LABEL_H}
        rx={4}
        className={
          emphasised ? "fill-white stroke-slate-400 dark:fill-slate-800 dark:stroke-slate-500" : "fill-white/95 stroke-slate-200 dark:fill-slate-900/95 dark:stroke-slate-700"
        }
      />
      <text y={4} textAnchor="middle" className="fill-slate-700 font-mono text-[10px] dark:fill-slate-200">
        {text}
      </text>
    </g>
  );
}
