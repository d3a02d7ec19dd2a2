"use client";

import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { FilterEntry } from "@/lib/filter-model";
import { flowQueryToParams, toHubbleObserveCommand } from "@/lib/filter-model";
import type { FlowRow } from "@/lib/flow-model";
import { rowMatchesEdge, rowMatchesNode } from "@/lib/service-map";
import { samplingNotice } from "@/lib/flow-budget";
import { gapsNotice } from "@/lib/stream-gaps";
import { LIVE_WINDOW_MS } from "@/lib/flow-pages";
import type { SamplingAccount } from "@/lib/sse";
import { shareableViewState, type ViewState, viewStateToParams } from "@/lib/view-state";
import { FlowDrawer } from "@/components/flow-drawer";
import { FlowTable } from "@/components/flow-table";
import { indexOfRow } from "@/components/flow-table/flow-table";
import { ExportButtons } from "@/components/flow-table/export-buttons";
import { ServiceMap } from "@/components/service-map";
import { EmptyState } from "@/components/top-bar/empty-state";
import { RelayBanner } from "@/components/top-bar/relay-banner";
import { TopBar } from "@/components/top-bar/top-bar";
import { FlowStreamStore, type OpenEventStream } from "@/components/flow-stream-store";
import { InvestigationBanner } from "@/components/investigations/investigation-banner";
import { ShareInvestigationButton } from "@/components/investigations/share-investigation";
import { savedPolicies } from "@/components/investigations/saved-policies";
import type { InvestigationView } from "@/lib/api/investigations";
import { defaultInvestigationTitle, shareInvestigationBody } from "@/lib/investigation";
import { DropsToggle, DropsView, PolicyPanel, usePolicyCell, usePolicyExplainer, usePolicyFilteredRows } from "@/components/policy";
import { PausedBar } from "./paused-bar";
import { useFlowPages } from "./use-flow-pages";
import { useSelectedFlow } from "./use-selected-flow";
import { useShortcuts } from "./use-shortcuts";
import { useTheme } from "./use-theme";
import { useViewState } from "./use-view-state";

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });

/**
 * The page people open every day. State owners: the URL owns the view (useViewState); the flow
 * stream store owns the high-rate flows; React Query owns status and namespaces; this component
 * only wires them together.
 */
export function Dashboard({
  investigation,
  openStream,
}: {
  readonly investigation?: InvestigationView;
  /** How the page opens its event stream (the tests play the server through their own). */
  readonly openStream?: OpenEventStream;
} = {}) {
  const { view, problem, setView } = useViewState();
  const store = useMemo(() => new FlowStreamStore({ openStream }), [openStream]);
  // The grouping is part of the stream: the server aggregates the map per grouping.
  const streamQuery = useMemo(() => {
    const p = flowQueryToParams(view.query);
    if (view.group !== "workload") p.set("group", view.group);
    return p.toString();
  }, [view.query, view.group]);
  const queryRef = useRef(view.query);
  queryRef.current = view.query;
  const investigationId = investigation?.id;
  useEffect(() => {
    // An investigation page shows its saved flows through the view's query; otherwise, live flows.
    if (investigationId) store.openSnapshot(investigationId, queryRef.current);
    else store.open(streamQuery);
    return () => store.close();
  }, [store, streamQuery, investigationId]);
  const live = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

  // Pause freezes what the page shows (table, map, Drops view); flows keep arriving underneath.
  const [pausedAtMs, setPausedAtMs] = useState<number>();
  const paused = pausedAtMs !== undefined;
  const setPaused = useCallback((p: boolean) => setPausedAtMs((at) => (p ? (at ?? Date.now()) : undefined)), []);
  const frozen = useRef(live);
  if (!paused) frozen.current = live;
  const shown = paused ? frozen.current : live;
  // The table also holds still while it does not follow (scrolled away, a row clicked): its rows,
  // and the JSON behind them, stay as they were; new flows are counted above it.
  const [following, setFollowing] = useState(true);
  const [followedQuery, setFollowedQuery] = useState(streamQuery);
  if (followedQuery !== streamQuery) {
    setFollowedQuery(streamQuery);
    setFollowing(true);
  }
  const held = useRef(live.flows);
  if (!paused && following) held.current = live.flows;
  const tableFlows = paused || !following ? held.current : live.flows;
  // Paused, nothing is "new" in the table (Resume brings the live flows back).
  const newFlows = paused ? 0 : !following ? newerThan(live.flows.rows, held.current.rows[0]) : undefined;
  // While paused, the table can page through every flow of the window the relay still holds.
  const [browsing, setBrowsing] = useState(false);
  if (!paused && browsing) setBrowsing(false);
  const pages = useFlowPages(view.query, browsing && !investigation ? pausedAtMs : undefined);
  const flows = browsing && !investigation ? pages.flows : tableFlows;

  const [theme, toggleTheme] = useTheme();
  const [notice, setNotice] = useState<string>();
  const filterInput = useRef<HTMLInputElement>(null);

  // The policy explainer (one per page) and its client-side `policy=` filter, before the map focus.
  const saved = useMemo(() => (investigation ? savedPolicies(investigation) : undefined), [investigation]);
  const explainer = usePolicyExplainer(flows.raw, saved);
  const policyCell = usePolicyCell(explainer);
  const viewRows = usePolicyFilteredRows(flows.rows, view.policy, explainer);

  const focusedRows = useMemo(() => {
    const { node, edge, group } = view;
    if (!node && !edge) return viewRows;
    return viewRows.filter((r: FlowRow) => (edge ? rowMatchesEdge(r, edge, group) : rowMatchesNode(r, node!, group)));
  }, [viewRows, view]);

  const selectedRow = view.flow ? flows.rows.find((r) => r.id === view.flow) : undefined;
  const selected = useSelectedFlow(view.flow, view.flow ? flows.raw.get(view.flow) : undefined, view.query, {
    fromRelay: !investigation,
    loading: investigation !== undefined && !live.ended && live.connection !== "error",
  });

  const update = useCallback((patch: Partial<ViewState>) => setView({ ...view, ...patch }), [setView, view]);
  const addFilter = useCallback((entry: FilterEntry) => update({ query: { ...view.query, filters: [...view.query.filters, entry] } }), [update, view.query]);
  const say = useCallback((text: string) => {
    setNotice(text);
    window.setTimeout(() => setNotice(undefined), 4000);
  }, []);
  const copy = useCallback(
    async (text: string, what: string) => {
      try {
        await navigator.clipboard.writeText(text);
        say(`${what} copied to the clipboard.`);
      } catch {
        say(`Could not copy: ${text}`);
      }
    },
    [say],
  );
  const share = useCallback(() => {
    const shared = shareableViewState(view, new Date());
    const url = `${window.location.origin}${window.location.pathname}?${viewStateToParams(shared)}`;
    void copy(url, "Link to this view");
  }, [copy, view]);

  useShortcuts({
    filterInput,
    onEscape: useCallback(() => {
      if (view.flow) update({ flow: undefined, panel: undefined });
      else if (view.node || view.edge) update({ node: undefined, edge: undefined });
      else if (view.panel === "drops") update({ panel: undefined });
    }, [update, view.flow, view.node, view.edge, view.panel]),
    onTogglePause: useCallback(() => setPausedAtMs((at) => (at === undefined ? Date.now() : undefined)), []),
  });

  const l7Seen = useMemo(() => flows.rows.some((r) => r.l7 !== undefined), [flows.rows]);
  // What the view could not count, over the map's window (a loss that left it no longer matters).
  const gaps = investigation ? undefined : gapsNotice(live.gaps, { nowMs: Date.now(), windowMs: live.map?.snapshot.windowMs ?? LIVE_WINDOW_MS, timeOf: clock });
  const sampling = live.sampling ? samplingNotice(live.sampling.latest, live.sampling.previous, (gaps?.lostInWindow ?? 0) > 0) : undefined;

  return (
    <div className="flex h-screen min-h-[720px] flex-col">
      <TopBar
        view={view}
        onChange={setView}
        rows={flows.rows}
        relay={live.relay}
        paused={paused}
        onPauseChange={setPaused}
        onShare={share}
        onCopyCommand={() => void copy(toHubbleObserveCommand(view.query), "hubble observe command")}
        filterInputRef={filterInput}
        exportSlot={<ExportButtons rows={focusedRows} raw={flows.raw} />}
        shareSlot={
          !investigation && (
            <ShareInvestigationButton
              defaultTitle={defaultInvestigationTitle(selectedRow)}
              disabled={flows.rows.length === 0}
              build={(title, note) => shareInvestigationBody({ title, note, view, rows: flows.rows, raw: flows.raw, now: new Date() })}
            />
          )
        }
        themeSlot={
          <button
            type="button"
            onClick={toggleTheme}
            aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
            className="rounded border border-slate-300 px-2 py-1 text-xs dark:border-slate-700"
          >
            {theme === "dark" ? "Light" : "Dark"}
          </button>
        }
      />
      {investigation ? (
        <InvestigationBanner investigation={investigation} selected={selected.state === "found" ? selected.raw : undefined} savedFlows={live.savedFlows} />
      ) : (
        <RelayBanner relay={live.relay} />
      )}
      {problem && (
        <p role="alert" className="bg-amber-50 px-4 py-1 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          Part of the link was not understood and was left out ({problem.param}: {problem.message}).
        </p>
      )}
      {notice && (
        <p role="status" className="fixed bottom-4 left-1/2 z-50 -translate-x-1/2 rounded bg-slate-900 px-3 py-2 text-sm text-white shadow">
          {notice}
        </p>
      )}
      <main className="flex min-h-0 flex-1">
        <div className="flex min-w-0 flex-1 flex-col">
          <section aria-label="Service map" className="h-[45%] min-h-[240px] border-b border-slate-200 dark:border-slate-800">
            <ServiceMap
              // The `policy=` filter exists only in the browser (no Hubble filter says "dropped by
              // policy X"): then the map is drawn from the rows it selects, like an investigation's.
              server={investigation || view.policy ? undefined : shown.map}
              rows={viewRows}
              policy={explainer}
              grouping={view.group}
              selectedNodeId={view.node}
              selectedEdgeId={view.edge}
              onSelectNode={(node) => update({ node, edge: undefined })}
              onSelectEdge={(edge) => update({ edge, node: undefined })}
              storageKey={`map:${view.query.namespaces.join(",")}:${view.group}`}
            />
          </section>
          {paused && !investigation && (
            <PausedBar pausedAtMs={pausedAtMs} held={held.current.rows.length} sampled={leftOut(shown.sampling?.latest)} pages={pages} browsing={browsing} onBrowse={setBrowsing} />
          )}
          <section aria-label="Flows" className="min-h-0 flex-1">
            <FlowTable
              rows={focusedRows}
              scrollKey={browsing ? `page ${pages.page}` : "live"}
              newFlows={newFlows}
              status={
                <>
                  {gaps && (
                    <span
                      role="status"
                      data-testid="gaps-notice"
                      title={gaps.details}
                      // Short, and it says the counts are short: it keeps its width before the budget's notice.
                      className="max-w-[60%] shrink-0 truncate rounded bg-amber-50 px-2 text-amber-900 dark:bg-amber-950 dark:text-amber-200"
                    >
                      {gaps.text}
                    </span>
                  )}
                  {sampling && !paused && (
                    <span
                      role="status"
                      data-testid="sampling-notice"
                      title={sampling}
                      className="min-w-0 truncate rounded bg-sky-50 px-2 text-sky-900 dark:bg-sky-950 dark:text-sky-200"
                    >
                      {sampling}
                    </span>
                  )}
                </>
              }
              selectedId={view.flow}
              onSelect={(flow) => update({ flow, panel: "details" })}
              following={following && !paused}
              onFollowChange={setFollowing}
              policyOf={policyCell}
              toolbar={
                <DropsToggle
                  open={view.panel === "drops" && !view.flow}
                  onToggle={() => update({ panel: view.panel === "drops" && !view.flow ? undefined : "drops", flow: undefined })}
                  policy={view.policy}
                  onClearPolicy={() => update({ policy: undefined })}
                />
              }
              emptyMessage={<EmptyState relay={live.relay} view={view} rowsTotalBeforeFocus={flows.rows.length} l7Seen={l7Seen} />}
            />
          </section>
        </div>
        {view.flow && (
          <FlowDrawer
            raw={selected.state === "found" ? selected.raw : undefined}
            row={selectedRow}
            notFound={
              selected.state === "loading"
                ? investigation
                  ? "Loading the saved flows…"
                  : "Looking for this flow in the relay's buffers…"
                : selected.state === "gone"
                  ? selected.reason
                  : undefined
            }
            onClose={() => update({ flow: undefined, panel: undefined })}
            onAddFilter={addFilter}
            policySlot={<PolicyPanel key={view.flow} explainer={explainer} flowId={view.flow} raw={selected.state === "found" ? selected.raw : undefined} row={selectedRow} />}
          />
        )}
        {!view.flow && view.panel === "drops" && (
          <DropsView
            rows={flows.rows}
            raw={flows.raw}
            explainer={explainer}
            view={view}
            onChange={setView}
            onClose={() => update({ panel: undefined })}
            serverGroups={investigation ? undefined : shown.drops}
          />
        )}
      </main>
    </div>
  );
}

/** How many of `rows` (newest first) are newer than `top`; all of them once `top` has left the buffer. */
function newerThan(rows: readonly FlowRow[], top: FlowRow | undefined): number {
  if (!top) return rows.length;
  const i = indexOfRow(rows, top.id, 0);
  return i < 0 ? rows.length : i;
}

/** Whether the flow budget has left any flow out of this browser's stream. */
function leftOut(account: SamplingAccount | undefined): boolean {
  return account !== undefined && account.seen.priority + account.seen.forwarded > account.sent.priority + account.sent.forwarded;
}
