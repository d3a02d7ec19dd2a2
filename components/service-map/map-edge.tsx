"use client";

import { type KeyboardEvent, memo } from "react";
import { edgeGeometry, type Point } from "@/lib/service-map/geometry";
import type { EdgeVerdictMix, ServiceMapEdge } from "@/lib/service-map/types";
import { clip, edgeAriaLabel, edgeLabelParts } from "./format";
import type { Emphasis } from "./map-node";

export interface EdgeHandlers {
  readonly onSelect: (id: string) => void;
  readonly onHover: (id: string | undefined) => void;
}

type Dominant = EdgeVerdictMix["dominant"];

export const EDGE_STROKE: Record<Dominant, string> = {
  forwarded: "stroke-slate-400 dark:stroke-slate-500",
  dropped: "stroke-red-500 dark:stroke-red-400",
  audit: "stroke-amber-500 dark:stroke-amber-400",
  error: "stroke-fuchsia-500 dark:stroke-fuchsia-400",
  other: "stroke-slate-300 dark:stroke-slate-600",
};

export const ARROW_FILL: Record<Dominant, string> = {
  forwarded: "fill-emerald-600 dark:fill-emerald-500",
  dropped: "fill-red-500 dark:fill-red-400",
  audit: "fill-amber-500 dark:fill-amber-400",
  error: "fill-fuchsia-500 dark:fill-fuchsia-400",
  other: "fill-slate-400 dark:fill-slate-500",
};

export const DOMINANTS: readonly Dominant[] = ["forwarded", "dropped", "audit", "error", "other"];

export function markerId(prefix: string, dominant: Dominant): string {
  return `${prefix}-arrow-${dominant}`;
}

/** Arrowheads, one per verdict colour (markers do not inherit the path's colour everywhere). */
export function EdgeMarkers({ prefix }: { prefix: string }) {
  return (
    <defs>
      {DOMINANTS.map((d) => (
        <marker key={d} id={markerId(prefix, d)} viewBox="0 0 10 10" refX={9} refY={5} markerWidth={7} markerHeight={7} orient="auto-start-reverse" markerUnits="userSpaceOnUse">
          <path d="M0,0L10,5L0,10z" className={ARROW_FILL[d]} />
        </marker>
      ))}
    </defs>
  );
}

/**
 * One edge: a visible path styled by its verdict mix (dashed when mixed) and a wide transparent
 * path that takes the pointer. Memoised on its geometry, emphasis and label.
 */
export const MapEdge = memo(function MapEdge({
  edge,
  a,
  b,
  bend,
  emphasis,
  focusable,
  labelWindowMs,
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
  /** Set to draw the label (zoomed in): the window the rate is computed over. */
  labelWindowMs: number | undefined;
  sourceLabel: string;
  targetLabel: string;
  /** "dropped by payments/default-deny": the policy charged with the edge's drops; "" if none. */
  dropText: string;
  markerPrefix: string;
  handlers: EdgeHandlers;
}) {
  const g = edgeGeometry(edge.source, edge.target, a, b, bend);
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
      data-edge-id={edge.id}
      data-drop-policy={dropText || undefined}
      role="button"
      tabIndex={focusable ? 0 : undefined}
      aria-label={dropText ? `${edgeAriaLabel(edge, sourceLabel, targetLabel)}, ${dropText}` : edgeAriaLabel(edge, sourceLabel, targetLabel)}
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
        strokeDasharray={edge.mix.mixed ? "6 4" : undefined}
        markerEnd={`url(#${markerId(markerPrefix, edge.mix.dominant)})`}
        className={`${EDGE_STROKE[edge.mix.dominant]} pointer-events-none`}
      />
      {labelWindowMs !== undefined && <EdgeLabel edge={edge} at={g.label} windowMs={labelWindowMs} dropText={dropText} />}
    </g>
  );
});

const CHAR_W = 6.1;

/** Port, flows/s, HTTP 5xx share and p50/p95, on a small plate at the middle of the edge. */
export function EdgeLabel({
  edge,
  at,
  windowMs,
  dropText = "",
  emphasised = false,
}: {
  edge: ServiceMapEdge;
  at: Point;
  windowMs: number;
  dropText?: string;
  emphasised?: boolean;
}) {
  const text = clip([...edgeLabelParts(edge, windowMs), ...(dropText ? [dropText] : [])].join(" · "), 120);
  const w = text.length * CHAR_W + 10;
  return (
    <g transform={`translate(${at.x},${at.y})`} className="pointer-events-none select-none">
      <rect
        x={-w / 2}
        y={-9}
        width={w}
        height={18}
        rx={4}
        className={emphasised ? "fill-white stroke-slate-400 dark:fill-slate-800 dark:stroke-slate-500" : "fill-white/90 stroke-slate-200 dark:fill-slate-900/90 dark:stroke-slate-700"}
      />
      <text y={4} textAnchor="middle" className="fill-slate-700 font-mono text-[10px] dark:fill-slate-200">
        {text}
      </text>
    </g>
  );
}
