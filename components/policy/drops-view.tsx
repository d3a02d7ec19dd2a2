"use client";

// The Drops view (panel=drops): dropped and audited flows grouped by the policy they are charged
// to, by drop reason and by namespace pair, each with a count and a sparkline over the window.
// A click applies the group as a filter through the URL view (lib/drops/selection), so the table
// and the map both narrow to it. Recomputed at most once a second, not per batch.

import { useEffect, useId, useMemo, useRef, useState } from "react";
import {
  applyDropSelection,
  attributedKeys,
  type DropGroup,
  type DropGroups,
  type DropSelection,
  groupDrops,
  isDropSelectionActive,
  parsePolicyKey,
  policyShortName,
  sparklinePath,
  type TimeWindowMs,
  windowOfRows,
} from "@/lib/drops";
import type { JsonObject } from "@bufbuild/protobuf";
import { type CompiledPolicySet, explainFlow } from "@/lib/policy";
import { type CausedDrops, type ChangeImpact, changeImpacts, dropsCausedBy } from "@/lib/policy-changes";
import { usePolicySetsBefore } from "./use-policies-before";
import type { FlowRow } from "@/lib/flow-model";
import type { ViewState } from "@/lib/view-state";
import { PolicyStatus } from "./policy-status";
import type { PolicyExplainer } from "./use-policy-explainer";

const RECOMPUTE_MS = 1000;
const EMPTY_GROUPS: DropGroups = { total: 0, unattributed: 0, byPolicy: [], byReason: [], byNamespacePair: [], window: { startMs: 0, endMs: 0 } };

export interface DropsViewProps {
  /** The flows of the current stream, newest first. */
  readonly rows: readonly FlowRow[];
  /** Their Hubble JSON by row id (to explain drops against the policies before a change). */
  readonly raw: ReadonlyMap<string, JsonObject>;
  readonly explainer: PolicyExplainer;
  readonly view: ViewState;
  readonly onChange: (view: ViewState) => void;
  readonly onClose: () => void;
  /**
   * The groups the server counted from every drop of the view over its window (a live view; null
   * until the first arrive). Without them, the groups are computed from `rows` (a saved investigation).
   */
  readonly serverGroups?: DropGroups | null;
}

/**
 * The value as it was at most `ms` ago: lets a view follow a stream without redoing work per
 * frame. A pending update is not pushed back by newer values (that would starve it).
 */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  latest.current = value;
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (timer.current !== undefined || Object.is(shown, value)) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      setShown(latest.current);
    }, ms);
  }, [value, shown, ms]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return shown;
}

export function DropsView({ rows, raw, explainer, view, onChange, onClose, serverGroups }: DropsViewProps) {
  const titleId = useId();
  const throttled = useThrottled(rows, RECOMPUTE_MS);
  // Before the first throttle tick, or when the stream was replaced, use the rows as they are.
  const source = throttled.length === 0 || rows.length === 0 ? rows : throttled;
  const local = useMemo(
    () => (serverGroups === undefined ? groupDrops(source, (r) => explainer.attribution(r), windowOfRows(source)) : undefined),
    [source, explainer, serverGroups],
  );
  const groups = serverGroups ?? local ?? EMPTY_GROUPS;
  const history = explainer.policies.data?.history;
  // A live window without `until` has no end: a change made after the last drop the server
  // counted is in it too (its groups end at that drop, which may be a scrape interval ago).
  const openEnded = serverGroups !== undefined && !view.query.until;
  const changes = useMemo(
    () =>
      history && serverGroups !== null
        ? changeImpacts(history, source, (r) => attributedKeys(explainer.attribution(r)), { fromMs: groups.window.startMs, toMs: openEnded ? Infinity : groups.window.endMs })
        : [],
    [history, source, explainer, groups.window, serverGroups, openEnded],
  );
  const before = usePolicySetsBefore(changes);
  const caused = useCausedDrops(changes, before, source, raw);
  const [notice, setNotice] = useState("");

  const apply = (label: string, selection: DropSelection | undefined) => {
    if (!selection) return;
    const next = applyDropSelection(view, selection);
    if (!next) {
      setNotice(`"${label}" cannot be turned into a filter.`);
      return;
    }
    setNotice("");
    onChange(next);
  };
  const select = (g: DropGroup) => apply(g.label, g.select);

  return (
    <aside
      data-testid="drops-view"
      aria-labelledby={titleId}
      className="flex h-full w-[26rem] max-w-[40vw] shrink-0 flex-col border-l border-slate-200 bg-white text-sm dark:border-slate-800 dark:bg-slate-950"
    >
      <header className="flex items-start gap-2 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <div className="min-w-0 flex-1">
          <h2 id={titleId} className="text-base font-semibold">
            Drops
          </h2>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            {groups.total.toLocaleString("en-US")} dropped or audited {groups.total === 1 ? "flow" : "flows"} in view
            {groups.unattributed > 0 ? ` · ${groups.unattributed.toLocaleString("en-US")} not charged to a policy` : ""}. Click a row to filter.
          </p>
        </div>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close the Drops view"
          className="rounded px-2 py-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-slate-800 dark:hover:text-slate-100"
        >
          ✕
        </button>
      </header>
      <div className="min-h-0 flex-1 space-y-3 overflow-y-auto px-4 py-2">
        <PolicyStatus policies={explainer.policies} compact />
        {notice && (
          <p role="status" className="text-xs text-amber-800 dark:text-amber-300">
            {notice}
          </p>
        )}
        {changes.length > 0 && <PolicyChanges changes={changes} caused={caused} onSelect={(key, label) => apply(label, { kind: "policy", policy: key })} />}
        <DropGroupList title="By policy" grouping="policy" groups={groups.byPolicy} window={groups.window} view={view} onSelect={select} />
        <DropGroupList title="By drop reason" grouping="reason" groups={groups.byReason} window={groups.window} view={view} onSelect={select} />
        <DropGroupList title="By namespace pair" grouping="namespaces" groups={groups.byNamespacePair} window={groups.window} view={view} onSelect={select} />
      </div>
    </aside>
  );
}

function DropGroupList({
  title,
  grouping,
  groups,
  window,
  view,
  onSelect,
}: {
  title: string;
  grouping: string;
  groups: readonly DropGroup[];
  window: TimeWindowMs;
  view: ViewState;
  onSelect: (g: DropGroup) => void;
}) {
  const headingId = useId();
  const max = groups.reduce((m, g) => Math.max(m, ...g.buckets), 0);
  return (
    <section aria-labelledby={headingId} data-grouping={grouping}>
      <h3 id={headingId} className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
        {title}
      </h3>
      {groups.length === 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">No drops in view.</p>
      ) : (
        <ul className="space-y-px">
          {groups.map((g) => {
            const active = isDropSelectionActive(view, g.select);
            return (
              <li key={g.key}>
                <button
                  type="button"
                  data-testid="drops-row"
                  data-grouping={grouping}
                  data-key={g.key}
                  disabled={!g.select}
                  aria-pressed={active}
                  onClick={() => onSelect(g)}
                  title={`${g.title}${g.audited > 0 ? ` · ${g.dropped} dropped, ${g.audited} audited` : ""}`}
                  className={`grid w-full grid-cols-[minmax(0,1fr)_3.5rem_4.5rem] items-center gap-2 rounded px-1.5 py-1 text-left text-xs focus-visible:outline-2 focus-visible:outline-sky-500 disabled:cursor-default ${
                    active ? "bg-sky-100 dark:bg-sky-900/50" : "enabled:hover:bg-slate-100 dark:enabled:hover:bg-slate-800"
                  }`}
                >
                  <span className="truncate font-mono">{g.label}</span>
                  <span className="text-right tabular-nums text-red-700 dark:text-red-400">{g.count.toLocaleString("en-US")}</span>
                  <Sparkline counts={g.buckets} max={max} window={window} />
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** Policy changes inside the window, each with the drops charged to what it added or changed. */
/** Per change: the drops since it that the version before it would have allowed (memoised per flow). */
function useCausedDrops(
  changes: readonly ChangeImpact[],
  before: ReadonlyMap<number, CompiledPolicySet>,
  rows: readonly FlowRow[],
  raw: ReadonlyMap<string, JsonObject>,
): ReadonlyMap<number, CausedDrops> {
  const memo = useRef(new Map<string, boolean | undefined>());
  return useMemo(() => {
    if (memo.current.size > 50_000) memo.current.clear();
    const out = new Map<number, CausedDrops>();
    for (const c of changes) {
      const compiled = before.get(c.version);
      if (!compiled) continue;
      out.set(
        c.version,
        dropsCausedBy(c.sinceMs, rows, (row) => {
          const key = `${c.version}|${row.id}`;
          if (memo.current.has(key)) return memo.current.get(key);
          const json = raw.get(row.id);
          let allowed: boolean | undefined;
          try {
            allowed = json ? explainFlow(json, compiled).verdict === "allowed" : undefined;
          } catch {
            allowed = undefined;
          }
          memo.current.set(key, allowed);
          return allowed;
        }),
      );
    }
    return out;
  }, [changes, before, rows, raw]);
}

function PolicyChanges({
  changes,
  caused,
  onSelect,
}: {
  changes: readonly ChangeImpact[];
  caused: ReadonlyMap<number, CausedDrops>;
  onSelect: (key: string, label: string) => void;
}) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} data-testid="policy-changes">
      <h3 id={headingId} className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
        Policy changes in the window
      </h3>
      <ul className="space-y-1 text-xs">
        {changes.slice(0, 10).map((c) => (
          <li key={c.version}>
            <span className="tabular-nums text-slate-500 dark:text-slate-400">{new Date(c.sinceMs).toISOString().slice(11, 19)}Z</span> version {c.version}
            {c.removed.length > 0 && <span className="text-slate-500 dark:text-slate-400"> · removed {c.removed.length}</span>}
            {caused.get(c.version) && (
              <p
                data-testid="policy-change-caused"
                className={`ml-3 ${caused.get(c.version)!.caused > 0 ? "font-medium text-red-700 dark:text-red-400" : "text-slate-500 dark:text-slate-400"}`}
              >
                {caused.get(c.version)!.caused > 0
                  ? `caused ${caused.get(c.version)!.caused.toLocaleString("en-US")} of the ${caused.get(c.version)!.checked.toLocaleString("en-US")} drops since: the version before it would have allowed them`
                  : `caused none of the ${caused.get(c.version)!.checked.toLocaleString("en-US")} drops since: the version before it drops them too`}
              </p>
            )}
            <ul className="ml-3">
              {c.policies.slice(0, 8).map((p) => {
                const id = parsePolicyKey(p.key);
                const label = id ? policyShortName(id) : p.key;
                return (
                  <li key={p.key}>
                    <button
                      type="button"
                      title={`${p.key}: ${p.before} drops charged to it before the change, ${p.after} after`}
                      onClick={() => onSelect(p.key, label)}
                      className="rounded px-1 text-left hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-slate-800"
                    >
                      {p.how} <span className="font-mono">{label.slice(0, 120)}</span>:{" "}
                      <span className={p.after > 0 ? "text-red-700 dark:text-red-400" : ""}>{p.after.toLocaleString("en-US")} drops since</span> ({p.before.toLocaleString("en-US")}{" "}
                      before)
                    </button>
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

const SPARK_W = 72;
const SPARK_H = 16;

function Sparkline({ counts, max, window }: { counts: readonly number[]; max: number; window: TimeWindowMs }) {
  const seconds = Math.max(1, Math.round((window.endMs - window.startMs) / 1000));
  return (
    <svg width={SPARK_W} height={SPARK_H} viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} aria-hidden="true" className="overflow-visible">
      <title>{`Over the last ${seconds} s of the window`}</title>
      <path d={sparklinePath(counts, SPARK_W, SPARK_H - 1, max)} fill="none" strokeWidth={1.25} className="stroke-red-500 dark:stroke-red-400" />
    </svg>
  );
}
