"use client";

const BUTTON =
  "flex h-8 min-w-8 items-center justify-center rounded border border-slate-300 bg-white px-2 text-sm text-slate-700 shadow-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";

/** Zoom in/out, fit, and forgetting the saved positions of this view. */
export function MapControls({
  onZoomIn,
  onZoomOut,
  onFit,
  onResetLayout,
}: {
  onZoomIn: () => void;
  onZoomOut: () => void;
  onFit: () => void;
  onResetLayout: () => void;
}) {
  return (
    <div className="absolute top-2 right-2 flex gap-1" role="toolbar" aria-label="Map view">
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

const LEGEND: { label: string; stroke: string; dashed?: boolean }[] = [
  { label: "forwarded", stroke: "stroke-slate-400 dark:stroke-slate-500" },
  { label: "dropped", stroke: "stroke-red-500 dark:stroke-red-400" },
  { label: "audit", stroke: "stroke-amber-500 dark:stroke-amber-400" },
  { label: "error", stroke: "stroke-fuchsia-500 dark:stroke-fuchsia-400" },
  { label: "mixed", stroke: "stroke-red-500 dark:stroke-red-400", dashed: true },
];

export function MapLegend() {
  return (
    <ul
      aria-label="Edge colours"
      className="pointer-events-none absolute bottom-2 left-2 flex flex-wrap gap-x-3 gap-y-1 rounded bg-white/85 px-2 py-1 text-[11px] text-slate-600 shadow-sm dark:bg-slate-900/85 dark:text-slate-300"
    >
      {LEGEND.map((l) => (
        <li key={l.label} className="flex items-center gap-1">
          <svg width="22" height="8" aria-hidden="true">
            <line x1="1" y1="4" x2="21" y2="4" strokeWidth="2" strokeDasharray={l.dashed ? "5 3" : undefined} className={l.stroke} />
          </svg>
          {l.label}
        </li>
      ))}
    </ul>
  );
}
