"use client";

// One row of the flow table: its cells from the row's display text (computed once per FlowRow),
// positioned by the virtualizer. Memoised: a new batch re-renders only rows whose props changed.

import { memo } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { flowDisplay, type FlowDisplay, type VerdictTone } from "@/lib/flow-details/display";
import { COLUMNS, type ColumnId } from "./columns";

export const ROW_HEIGHT = 28;

/** The policy cell for rows Hubble names no policy for (the policy explainer's answer for drops). */
export type PolicyOf = (row: FlowRow) => { text: string; title: string } | undefined;

const TONE_CLASS: Readonly<Record<VerdictTone, string>> = {
  forwarded: "text-emerald-700 dark:text-emerald-400",
  dropped: "font-semibold text-red-700 dark:text-red-400",
  audit: "text-amber-700 dark:text-amber-400",
  redirected: "text-sky-700 dark:text-sky-400",
  error: "font-semibold text-orange-700 dark:text-orange-400",
  other: "text-slate-500 dark:text-slate-400",
};

const DOT_CLASS: Readonly<Record<VerdictTone, string>> = {
  forwarded: "bg-emerald-500",
  dropped: "bg-red-600",
  audit: "bg-amber-500",
  redirected: "bg-sky-500",
  error: "bg-orange-500",
  other: "bg-slate-400",
};

const POLICY_CLASS: Readonly<Record<FlowDisplay["policyTone"], string>> = {
  denied: "text-red-700 dark:text-red-400",
  allowed: "text-emerald-700 dark:text-emerald-400",
  "": "",
};

interface RowProps {
  domId: string;
  row: FlowRow;
  index: number;
  start: number;
  visible: readonly ColumnId[];
  template: string;
  selected: boolean;
  active: boolean;
  policyOf: PolicyOf | undefined;
}

export const FlowTableRow = memo(function FlowTableRow({ domId, row, index, start, visible, template, selected, active, policyOf }: RowProps) {
  const d = flowDisplay(row);
  // Hubble's own *_denied_by / *_allowed_by come first; the explainer fills the cell otherwise.
  const explained = policyOf && visible.includes("policy") && !d.policyNames ? policyOf(row) : undefined;
  return (
    <div
      id={domId}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-index={index}
      data-flow-id={row.id}
      data-verdict={d.verdictTone}
      className={`absolute left-0 top-0 grid w-full cursor-pointer items-center border-b border-slate-100 dark:border-slate-800/70 ${
        selected ? "bg-sky-100 dark:bg-sky-900/50" : "hover:bg-slate-50 dark:hover:bg-slate-800/60"
      } ${active ? "outline outline-1 -outline-offset-1 outline-sky-500" : ""}`}
      style={{ height: ROW_HEIGHT, transform: `translateY(${start}px)`, gridTemplateColumns: template }}
    >
      {visible.map((id) => {
        const col = COLUMNS[id];
        if (id === "policy" && explained) {
          return (
            <div key={id} role="gridcell" data-policy-source="explainer" title={explained.title} className={`truncate px-2 ${POLICY_CLASS.denied}`}>
              {explained.text}
            </div>
          );
        }
        const text = col.text(d);
        if (id === "verdict") {
          return (
            <div key={id} role="gridcell" className={`flex items-center gap-1.5 truncate px-2 ${TONE_CLASS[d.verdictTone]}`}>
              {text && <span aria-hidden="true" className={`inline-block h-2 w-2 shrink-0 rounded-full ${DOT_CLASS[d.verdictTone]}`} />}
              <span className="truncate">{text}</span>
            </div>
          );
        }
        return (
          <div
            key={id}
            role="gridcell"
            title={col.title ? col.title(d) || undefined : text || undefined}
            className={`truncate px-2 ${id === "time" ? "tabular-nums text-slate-500 dark:text-slate-400" : ""} ${
              id === "dropReason" && text ? "text-red-700 dark:text-red-400" : ""
            } ${id === "policy" ? POLICY_CLASS[d.policyTone] : ""}`}
          >
            {text}
          </div>
        );
      })}
    </div>
  );
});
