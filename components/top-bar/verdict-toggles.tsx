"use client";

import type { VerdictName } from "@/lib/filter-model";
import { focusRing, mutedText } from "./ui";

/** The verdicts the dashboard offers, in this order. */
export const VERDICT_CHOICES = ["FORWARDED", "DROPPED", "AUDIT", "REDIRECTED", "ERROR"] as const satisfies readonly VerdictName[];

const LABELS: Record<(typeof VERDICT_CHOICES)[number], string> = {
  FORWARDED: "Forwarded",
  DROPPED: "Dropped",
  AUDIT: "Audit",
  REDIRECTED: "Redirected",
  ERROR: "Error",
};

// Pressed colours follow the verdict colours used elsewhere (forwarded green, dropped red, …).
const PRESSED: Record<(typeof VERDICT_CHOICES)[number], string> = {
  FORWARDED: "aria-pressed:bg-emerald-600 aria-pressed:text-white dark:aria-pressed:bg-emerald-500 dark:aria-pressed:text-slate-950",
  DROPPED: "aria-pressed:bg-red-600 aria-pressed:text-white dark:aria-pressed:bg-red-500 dark:aria-pressed:text-slate-950",
  AUDIT: "aria-pressed:bg-amber-500 aria-pressed:text-slate-950 dark:aria-pressed:bg-amber-400",
  REDIRECTED: "aria-pressed:bg-violet-600 aria-pressed:text-white dark:aria-pressed:bg-violet-400 dark:aria-pressed:text-slate-950",
  ERROR: "aria-pressed:bg-orange-600 aria-pressed:text-white dark:aria-pressed:bg-orange-400 dark:aria-pressed:text-slate-950",
};

export interface VerdictTogglesProps {
  /** Selected verdicts; empty means all. */
  readonly value: readonly VerdictName[];
  readonly onChange: (next: VerdictName[]) => void;
}

/** One toggle per verdict, any combination; none pressed shows every verdict. */
export function VerdictToggles({ value, onChange }: VerdictTogglesProps) {
  const selected = new Set(value);
  const toggle = (v: VerdictName) => {
    if (selected.has(v)) onChange(value.filter((x) => x !== v));
    // Keep a stable order so the URL does not depend on click order.
    else onChange([...value.filter((x) => !(VERDICT_CHOICES as readonly string[]).includes(x)), ...VERDICT_CHOICES.filter((c) => c === v || selected.has(c))]);
  };
  return (
    <div role="group" aria-label="Verdicts" className="inline-flex items-center gap-1">
      <div className="inline-flex divide-x divide-slate-300 overflow-hidden rounded border border-slate-300 bg-white dark:divide-slate-700 dark:border-slate-700 dark:bg-slate-900">
        {VERDICT_CHOICES.map((v) => (
          <button
            key={v}
            type="button"
            aria-pressed={selected.has(v)}
            title={selected.has(v) ? `Stop showing only ${v} flows` : `Show ${v} flows`}
            className={`inline-flex h-7 items-center px-2 text-xs font-medium text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800 ${PRESSED[v]} ${focusRing}`}
            onClick={() => toggle(v)}
          >
            {LABELS[v]}
          </button>
        ))}
      </div>
      {/* Always laid out, so the controls to its right do not jump when it hides. */}
      <span aria-hidden={value.length > 0} className={`text-xs ${mutedText} ${value.length > 0 ? "invisible" : ""}`}>
        all
      </span>
    </div>
  );
}
