"use client";

// The flow details drawer: every field of the flow, grouped (lib/flow-details), each with a copy
// button and, where a filter-bar entry selects exactly that value, "Filter" / "Exclude" buttons;
// then the raw line exactly as `hubble observe -o jsonpb` prints it. Flow text is rendered as React
// text children only: never as HTML, never as a URL (no links are built from flow values).

import type { JsonObject } from "@bufbuild/protobuf";
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { formatFilterEntry, type FilterEntry } from "@/lib/filter-model/entry";
import { toFlowRow, type FlowRow } from "@/lib/flow-model";
import { flowDisplay, type VerdictTone } from "@/lib/flow-details/display";
import { flowDetailSections, type DetailField, type Section } from "@/lib/flow-details/sections";
import { toJsonpbLine } from "@/lib/export/jsonpb";

export interface FlowDrawerProps {
  /** The flow's Hubble JSON (the `flow` object of a jsonpb line); undefined while loading or gone. */
  raw: JsonObject | undefined;
  /** The table's row for it, when the flow is in view. */
  row: FlowRow | undefined;
  /** Why there is no flow to show (still looking, no longer held by the relay, …). */
  notFound?: ReactNode;
  onClose(): void;
  onAddFilter(entry: FilterEntry): void;
  /** Shown at the top of the Policy section (the policy explainer). */
  policySlot?: ReactNode;
}

const MAX_ACCESSIBLE_VALUE = 80;

function short(text: string, max = MAX_ACCESSIBLE_VALUE): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function FlowDrawer({ raw, row, notFound, onClose, onAddFilter, policySlot }: FlowDrawerProps) {
  const ref = useRef<HTMLElement>(null);
  const titleId = useId();
  const [status, setStatus] = useState("");
  const statusTimer = useRef<number | undefined>(undefined);

  const shownRow = useMemo(() => row ?? (raw ? toFlowRow(raw) : undefined), [row, raw]);
  const sections = useMemo(() => (raw ? flowDetailSections(raw) : []), [raw]);
  // For a drop, the question is "which policy and why": its section comes first.
  const dropFirst = !!policySlot && (shownRow?.verdict === "DROPPED" || shownRow?.verdict === "AUDIT");
  const ordered = useMemo(() => (dropFirst ? policyFirst(sections) : sections), [sections, dropFirst]);
  const line = useMemo(() => (raw ? toJsonpbLine(raw) : ""), [raw]);

  // Focus the drawer when it opens and when it shows another flow; give focus back on close.
  // (The capture runs first: effects run in order.)
  useEffect(() => {
    const before = document.activeElement;
    return () => {
      // Only when focus went down with the drawer; a click elsewhere keeps its focus.
      const now = document.activeElement;
      if (before instanceof HTMLElement && before.isConnected && (now === null || now === document.body)) {
        before.focus({ preventScroll: true });
      }
    };
  }, []);
  const flowKey = shownRow?.id ?? "";
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, [flowKey]);
  useEffect(() => () => window.clearTimeout(statusTimer.current), []);

  const say = useCallback((text: string) => {
    setStatus(text);
    window.clearTimeout(statusTimer.current);
    statusTimer.current = window.setTimeout(() => setStatus(""), 3000);
  }, []);

  const copy = useCallback(
    async (text: string, what: string) => say((await copyText(text)) ? `${what} copied.` : `Could not copy ${what}: the browser refused clipboard access.`),
    [say],
  );

  const add = useCallback(
    (entry: FilterEntry) => {
      onAddFilter(entry);
      say(`Filter ${short(formatFilterEntry(entry))} added.`);
    },
    [onAddFilter, say],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key === "Escape" && !e.defaultPrevented) {
      // The page also closes on Esc; it skips events already handled.
      e.preventDefault();
      onClose();
    }
  };

  return (
    <aside
      ref={ref}
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      className="flex h-full w-[30rem] max-w-[45vw] shrink-0 flex-col border-l border-slate-200 bg-white text-sm outline-none dark:border-slate-800 dark:bg-slate-950"
    >
      <header className="flex items-start gap-2 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <div className="min-w-0 flex-1">
          <h2 id={titleId} className="text-base font-semibold">
            Flow details
          </h2>
          {shownRow && <FlowHeadline row={shownRow} />}
        </div>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close flow details"
          className="rounded px-2 py-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-slate-800 dark:hover:text-slate-100"
        >
          ✕
        </button>
      </header>
      <p role="status" aria-live="polite" className="sr-only">
        {status}
      </p>
      <div className="min-h-0 flex-1 overflow-y-auto px-4 py-2">
        {!raw ? (
          <p className="py-6 text-slate-600 dark:text-slate-300">{notFound ?? "This flow is not available."}</p>
        ) : (
          <>
            {ordered.map((s) =>
              s.fields.length > 0 || (s.id === "policy" && policySlot) ? (
                <DetailSection key={s.id} section={s} slot={s.id === "policy" ? policySlot : undefined} onCopy={copy} onAdd={add} />
              ) : null,
            )}
            <section aria-labelledby={`${titleId}-raw`} className="py-3">
              <div className="mb-1 flex items-center gap-2">
                <h3 id={`${titleId}-raw`} className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  Raw JSON <span className="font-normal normal-case">(hubble observe -o jsonpb)</span>
                </h3>
                <button type="button" onClick={() => void copy(line, "Raw JSON")} className={`${ACTION} ml-auto`} aria-label="Copy raw JSON line">
                  Copy
                </button>
              </div>
              <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-[11px] leading-snug text-slate-800 dark:bg-slate-900 dark:text-slate-200">
                {line}
              </pre>
            </section>
          </>
        )}
      </div>
      {status && (
        <p aria-hidden="true" className="border-t border-slate-200 px-4 py-1.5 text-xs text-slate-600 dark:border-slate-800 dark:text-slate-300">
          {status}
        </p>
      )}
    </aside>
  );
}

function policyFirst(sections: readonly Section[]): readonly Section[] {
  const policy = sections.find((s) => s.id === "policy");
  return policy ? [policy, ...sections.filter((s) => s !== policy)] : sections;
}

const TONE: Readonly<Record<VerdictTone, string>> = {
  forwarded: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300",
  dropped: "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300",
  audit: "bg-amber-100 text-amber-900 dark:bg-amber-900/50 dark:text-amber-300",
  redirected: "bg-sky-100 text-sky-800 dark:bg-sky-900/50 dark:text-sky-300",
  error: "bg-orange-100 text-orange-800 dark:bg-orange-900/50 dark:text-orange-300",
  other: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
};

function FlowHeadline({ row }: { row: FlowRow }) {
  const d = flowDisplay(row);
  return (
    <div className="mt-1 space-y-0.5 text-xs text-slate-600 dark:text-slate-300">
      <div className="flex flex-wrap items-center gap-2">
        {d.verdict && <span className={`rounded px-1.5 py-0.5 font-semibold ${TONE[d.verdictTone]}`}>{d.verdict}</span>}
        {d.dropReason && <span className="text-red-700 dark:text-red-400">{d.dropReason}</span>}
        <span className="font-mono" title={d.timeTitle}>
          {d.timeTitle || d.time}
        </span>
      </div>
      <div className="break-all font-mono">
        {d.source || "?"} → {d.destination || "?"}
        {d.port ? ` ${d.port}` : ""}
      </div>
      {d.l7 && <div className="break-all font-mono">{d.l7}</div>}
    </div>
  );
}

const ICON =
  "h-5 w-5 rounded text-xs leading-5 text-slate-400 hover:bg-slate-200 hover:text-slate-900 focus-visible:text-slate-900 focus-visible:outline-2 focus-visible:outline-sky-500 group-hover:text-slate-600 dark:text-slate-500 dark:hover:bg-slate-700 dark:hover:text-slate-100 dark:group-hover:text-slate-300";

const ACTION =
  "rounded border border-slate-300 px-1.5 py-px text-[11px] leading-4 text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-600 dark:text-slate-300 dark:hover:bg-slate-800";

function DetailSection({ section, slot, onCopy, onAdd }: { section: Section; slot: ReactNode; onCopy(text: string, what: string): void; onAdd(entry: FilterEntry): void }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="border-b border-slate-100 py-3 last:border-b-0 dark:border-slate-800/70">
      <h3 id={headingId} className="mb-1.5 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
        {section.title}
      </h3>
      {slot && <div className="mb-2">{slot}</div>}
      <dl className="space-y-px">
        {section.fields.map((f) => (
          <FieldRow key={f.key} field={f} onCopy={onCopy} onAdd={onAdd} />
        ))}
      </dl>
    </section>
  );
}

function FieldRow({ field, onCopy, onAdd }: { field: DetailField; onCopy(text: string, what: string): void; onAdd(entry: FilterEntry): void }) {
  const filterText = field.filter ? formatFilterEntry(field.filter) : "";
  const excludeText = field.exclude ? formatFilterEntry(field.exclude) : "";
  return (
    <div className="group grid grid-cols-[7.5rem_minmax(0,1fr)_4.5rem] items-start gap-x-2 rounded px-1 py-0.5 hover:bg-slate-50 dark:hover:bg-slate-900">
      <dt className="break-words pt-px text-xs text-slate-500 dark:text-slate-400">{field.label}</dt>
      <dd className="whitespace-pre-wrap break-all font-mono text-xs text-slate-900 dark:text-slate-100">{field.value === "" ? "\u00a0" : field.value}</dd>
      <dd className="flex justify-end gap-0.5">
        {field.filter && (
          <button type="button" className={ICON} onClick={() => onAdd(field.filter!)} title={`Filter: ${short(filterText, 200)}`} aria-label={`Filter: ${short(filterText)}`}>
            =
          </button>
        )}
        {field.exclude && (
          <button type="button" className={ICON} onClick={() => onAdd(field.exclude!)} title={`Exclude: ${short(excludeText, 200)}`} aria-label={`Exclude: ${short(excludeText)}`}>
            ≠
          </button>
        )}
        <button type="button" className={ICON} onClick={() => onCopy(field.value, field.label)} title="Copy value" aria-label={`Copy ${field.label}`}>
          <CopyIcon />
        </button>
      </dd>
    </div>
  );
}

function CopyIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="mx-auto h-3.5 w-3.5" fill="none" stroke="currentColor" strokeWidth="1.5">
      <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
      <path d="M10.5 3.5v-0.5a1.5 1.5 0 0 0-1.5-1.5H3a1.5 1.5 0 0 0-1.5 1.5V9A1.5 1.5 0 0 0 3 10.5h0.5" />
    </svg>
  );
}
