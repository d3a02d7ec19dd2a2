"use client";

// The filter bar's chips: the map's selection, then one chip per entry ("!" flips it to an
// exclusion, × removes it).
import { formatFilterEntry, type FilterEntry } from "@/lib/filter-model";
import { focusRing } from "./ui";

export interface MapSelectionChip {
  readonly kind: "node" | "edge";
  /** The selection as people read it (from the id: text only). */
  readonly text: string;
  readonly onRemove: () => void;
}

export interface ActiveFiltersProps {
  readonly filters: readonly FilterEntry[];
  readonly selection?: MapSelectionChip;
  /** Called after the selection's own `onRemove`. */
  readonly onSelectionRemoved: () => void;
  readonly onToggleNegation: (index: number) => void;
  readonly onRemove: (index: number) => void;
}

/** The list of chips; nothing when there is neither a filter nor a selection. */
export function ActiveFilters({ filters, selection, onSelectionRemoved, onToggleNegation, onRemove }: ActiveFiltersProps) {
  if (filters.length === 0 && !selection) return null;
  return (
    <ul aria-label="Active filters" className="flex max-w-full flex-wrap items-center gap-1">
      {selection && (
        <SelectionChip
          selection={selection}
          onRemove={() => {
            selection.onRemove();
            onSelectionRemoved();
          }}
        />
      )}
      {filters.map((f, i) => (
        <FilterChip key={`${i}:${formatFilterEntry(f)}`} entry={f} onToggleNegation={() => onToggleNegation(i)} onRemove={() => onRemove(i)} />
      ))}
    </ul>
  );
}

/** The map's selection: a chip like the filters' (it narrows the table), removable with ×. */
function SelectionChip({ selection, onRemove }: { selection: MapSelectionChip; onRemove: () => void }) {
  const what = selection.kind === "node" ? "map node" : "map edge";
  return (
    <li
      data-testid="map-selection-chip"
      data-kind={selection.kind}
      className="inline-flex max-w-full items-center overflow-hidden rounded border border-violet-300 bg-violet-50 text-xs text-violet-900 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-100"
    >
      <span className="pl-1.5 pr-1 text-[10px] font-semibold uppercase tracking-wide text-violet-600 dark:text-violet-300">{what}</span>
      <span className="max-w-96 truncate font-mono" title={selection.text}>
        {selection.text}
      </span>
      <button type="button" aria-label={`Remove ${what} selection ${selection.text}`} className={`px-1 hover:bg-black/10 dark:hover:bg-white/10 ${focusRing}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}

function FilterChip({ entry, onToggleNegation, onRemove }: { entry: FilterEntry; onToggleNegation: () => void; onRemove: () => void }) {
  const text = formatFilterEntry(entry);
  const shown = entry.negated ? text.slice(1) : text;
  return (
    <li
      className={`inline-flex max-w-full items-center overflow-hidden rounded border text-xs ${
        entry.negated
          ? "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          : "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
      }`}
    >
      <button
        type="button"
        aria-pressed={entry.negated}
        aria-label={`Exclude ${shown}`}
        title={entry.negated ? "Excluded: click to include instead" : "Click to exclude instead"}
        className={`px-1 font-mono font-bold ${entry.negated ? "text-red-700 dark:text-red-300" : "text-slate-400 hover:text-slate-700 dark:text-slate-500 dark:hover:text-slate-200"} ${focusRing}`}
        onClick={onToggleNegation}
      >
        !
      </button>
      <span className={`truncate font-mono ${entry.negated ? "line-through decoration-red-400/60" : ""}`} title={text}>
        {shown}
      </span>
      <button type="button" aria-label={`Remove filter ${text}`} className={`px-1 hover:bg-black/10 dark:hover:bg-white/10 ${focusRing}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}
