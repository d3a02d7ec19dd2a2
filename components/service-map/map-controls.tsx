"use client";

import { AuthenticatedGlyph, EncryptedGlyph } from "./map-edge";

const BUTTON =
  "flex h-7 min-w-7 items-center justify-center rounded border border-slate-300 bg-white px-2 text-sm text-slate-700 shadow-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";

/** Zoom in/out, fit, and forgetting the saved positions of this view. */
export function MapControls({
  onZoomIn,
  onZoomOut,
  onFit,
  onResetLayout,
  collapsed,
  onExpandAll,
  onCollapseAll,
}: {
  onZoomIn: () => void;
  onZoomOut: () => void;
  onFit: () => void;
  onResetLayout: () => void;
  /** How many namespaces are collapsed into one node. */
  collapsed: number;
  onExpandAll: () => void;
  onCollapseAll: () => void;
}) {
  return (
    <div className="absolute right-2 bottom-2 flex gap-1" role="toolbar" aria-label="Map view">
      {collapsed > 0 ? (
        <button type="button" className={BUTTON} onClick={onExpandAll} title="Show every node of the collapsed namespaces">
          Expand all ({collapsed})
        </button>
      ) : (
        <button type="button" className={BUTTON} onClick={onCollapseAll} title="Show each namespace as one node">
          Collapse namespaces
        </button>
      )}
      <button type="button" className={BUTTON} onClick={onZoomIn} aria-label="Zoom in" title="Zoom in (+)">
        +
      </button>
      <button type="button" className={BUTTON} onClick={onZoomOut} aria-label="Zoom out" title="Zoom out (−)">
        −
      </button>
      <button type="button" className={BUTTON} onClick={onFit} aria-label="Fit the map to the view" title="Fit">
        Fit
      </button>
      <button type="button" className={BUTTON} onClick={onResetLayout} aria-label="Reset layout: forget dragged and saved positions" title="Reset layout">
        Reset layout
      </button>
    </div>
  );
}

const LEGEND: { label: string; title: string; stroke?: string; dashed?: boolean; dot?: string; glyph?: "encrypted" | "authenticated" }[] = [
  { label: "healthy", title: "Forwarded; fewer than 5 % of flows dropped and of HTTP responses 5xx", stroke: "stroke-slate-400 dark:stroke-slate-500" },
  { label: "mostly dropped", title: "More than 50 % of the edge's flows dropped", stroke: "stroke-red-600 dark:stroke-red-400" },
  { label: "partly dropped", title: "5–50 % of the edge's flows dropped", stroke: "stroke-red-500 dark:stroke-red-400", dashed: true },
  { label: "HTTP 5xx ≥ 5 %", title: "At least 5 % of the edge's HTTP responses are 5xx", stroke: "stroke-orange-500 dark:stroke-orange-400" },
  { label: "errors", title: "More than 50 % of flows ended in a datapath error", stroke: "stroke-fuchsia-500 dark:stroke-fuchsia-400" },
  { label: "audit", title: "More than 50 % of flows audited (would have been dropped)", stroke: "stroke-amber-500 dark:stroke-amber-400" },
  { label: "a few drops", title: "Some drops, under 5 % of the edge's flows", dot: "fill-red-600 dark:fill-red-400" },
  { label: "a few 5xx", title: "Some HTTP 5xx, under 5 % of the responses", dot: "fill-orange-500 dark:fill-orange-400" },
  { label: "encrypted", title: "Flows seen encrypted between nodes (WireGuard or IPsec transparent encryption)", glyph: "encrypted" },
  { label: "mutual auth", title: "Connections mutually authenticated (SPIRE): a rule required it and both identities passed", glyph: "authenticated" },
];

export function MapLegend() {
  return (
    <ul
      aria-label="Edge colours"
      className="pointer-events-none absolute bottom-2 left-2 flex max-w-[calc(100%-23rem)] flex-wrap gap-x-2.5 gap-y-1 rounded bg-white/85 px-2 py-1 text-[11px] text-slate-600 shadow-sm dark:bg-slate-900/85 dark:text-slate-300"
    >
      {LEGEND.map((l) => (
        <li key={l.label} className="flex items-center gap-1" title={l.title}>
          <svg width="22" height="10" viewBox="0 -1 22 10" aria-hidden="true">
            {l.stroke && <line x1="1" y1="4" x2="21" y2="4" strokeWidth="2" strokeDasharray={l.dashed ? "5 3" : undefined} className={l.stroke} />}
            {l.dot && (
              <>
                <line x1="1" y1="4" x2="21" y2="4" strokeWidth="2" className="stroke-slate-400 dark:stroke-slate-500" />
                <circle cx="11" cy="4" r="3.5" className={l.dot} />
              </>
            )}
            {l.glyph && (
              <>
                <line x1="1" y1="4" x2="21" y2="4" strokeWidth="2" className="stroke-slate-400 dark:stroke-slate-500" />
                <g transform="translate(11,4) scale(0.7)">{l.glyph === "encrypted" ? <EncryptedGlyph /> : <AuthenticatedGlyph />}</g>
              </>
            )}
          </svg>
          {l.label}
        </li>
      ))}
    </ul>
  );
}
