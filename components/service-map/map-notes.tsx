"use client";

import { clip } from "./format";
import { BOX_LABEL, type NamespaceBox } from "@/lib/service-map/layout";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";

/** Notes over the map's top left: flows not drawn (the map's limits), a selection not shown. */
export function MapNotes({ snapshot, missingSelection }: { snapshot: ServiceMapSnapshot; missingSelection: boolean }) {
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

/** A namespace's box behind its cards; its label collapses it into one node when `onCollapse` is given. */
export function NamespaceBoxView({ box, onCollapse }: { box: NamespaceBox; onCollapse?: () => void }) {
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
