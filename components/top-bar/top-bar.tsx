"use client";

import { type ReactNode, type Ref, useMemo } from "react";
import { toHubbleObserveCommand, type FlowQuery } from "@/lib/filter-model";
import type { FlowRow } from "@/lib/flow-model";
import type { RelayStateView } from "@/lib/sse";
import { edgeIdText, nodeIdText } from "@/lib/service-map/ids";
import type { ViewState } from "@/lib/view-state";
import { FilterBar } from "./filter-bar";
import type { MapSelectionChip } from "./filter-chips";
import { NamespacePicker } from "./namespace-picker";
import { SignedIn } from "./signed-in";
import { StatusIndicator } from "./status-indicator";
import { TimeWindow } from "./time-window";
import { buttonClass } from "./ui";
import { VerdictToggles } from "./verdict-toggles";

export interface TopBarProps {
  readonly view: ViewState;
  /** The next view; only `view.query` and the map selection (`node`, `edge`: its chip's ×) are changed here. */
  readonly onChange: (next: ViewState) => void;
  /** Flows in view, newest first (filter suggestions). */
  readonly rows: readonly FlowRow[];
  readonly relay: RelayStateView | undefined;
  readonly paused: boolean;
  readonly onPauseChange: (paused: boolean) => void;
  readonly onShare: () => void;
  readonly onCopyCommand: () => void;
  /** The filter input, for the page's `/` shortcut. */
  readonly filterInputRef?: Ref<HTMLInputElement>;
  readonly exportSlot?: ReactNode;
  readonly themeSlot?: ReactNode;
  /** Beside Share: "Share investigation", or the investigation page's own actions. */
  readonly shareSlot?: ReactNode;
}

/**
 * The dashboard's controls: namespaces, verdicts, time window, pause and the share/copy/export/
 * theme actions on the first line; the filter bar and the relay status on the second.
 */
export function TopBar({ view, onChange, rows, relay, paused, onPauseChange, onShare, onCopyCommand, filterInputRef, exportSlot, themeSlot, shareSlot }: TopBarProps) {
  const setQuery = (query: FlowQuery) => onChange({ ...view, query });
  const q = view.query;
  const clearSelection = () => onChange({ ...view, node: undefined, edge: undefined });
  const selection: MapSelectionChip | undefined = view.edge
    ? { kind: "edge", text: edgeIdText(view.edge), onRemove: clearSelection }
    : view.node
      ? { kind: "node", text: nodeIdText(view.node), onRemove: clearSelection }
      : undefined;

  const command = useMemo(() => {
    try {
      return toHubbleObserveCommand(q);
    } catch {
      return undefined; // an invalid query has no command; the button says so on click
    }
  }, [q]);

  return (
    <section aria-label="Flow view controls" className="flex flex-col gap-1.5 border-b border-slate-200 bg-white px-3 py-2 dark:border-slate-800 dark:bg-slate-950">
      <div className="flex flex-wrap items-center gap-2">
        <NamespacePicker value={q.namespaces} onChange={(namespaces) => setQuery({ ...q, namespaces })} />
        <VerdictToggles value={q.verdicts} onChange={(verdicts) => setQuery({ ...q, verdicts })} />
        <TimeWindow since={q.since} until={q.until} onWindowChange={(since, until) => setQuery(withWindow(q, since, until))} paused={paused} onPauseChange={onPauseChange} />
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <button type="button" className={buttonClass} onClick={onShare} title="Copy a link to this view (a relative window becomes absolute)">
            Share
          </button>
          {shareSlot}
          <button type="button" className={buttonClass} onClick={onCopyCommand} title={command ?? "Copy the hubble observe command for these filters"}>
            Copy as hubble observe
          </button>
          {exportSlot}
          {themeSlot}
          <SignedIn />
        </div>
      </div>
      <div className="flex items-start gap-2">
        <FilterBar query={q} onQueryChange={setQuery} rows={rows} inputRef={filterInputRef} selection={selection} />
        <div className="shrink-0 pt-0.5">
          <StatusIndicator relay={relay} />
        </div>
      </div>
    </section>
  );
}

function withWindow(q: FlowQuery, since: string | undefined, until: string | undefined): FlowQuery {
  const { since: _s, until: _u, ...rest } = q;
  return { ...rest, ...(since ? { since } : {}), ...(until ? { until } : {}) };
}
