"use client";

// The `policy=` view parameter applied to rows: only the drops charged to that policy. Applied by
// the page before both the map and the table, so both narrow to the same flows.

import { useMemo } from "react";
import { chargedTo, isInvestigatedDrop, policyCell } from "@/lib/drops";
import type { FlowRow } from "@/lib/flow-model";
import type { PolicyExplainer } from "./use-policy-explainer";

export function usePolicyFilteredRows(rows: readonly FlowRow[], policy: string | undefined, explainer: PolicyExplainer): readonly FlowRow[] {
  return useMemo(() => (policy ? rows.filter((r) => isInvestigatedDrop(r) && chargedTo(explainer.attribution(r), policy)) : rows), [rows, policy, explainer]);
}

/** The table's policy cell for rows Hubble names no policy for: drops charged by the explainer. */
export function usePolicyCell(explainer: PolicyExplainer): (row: FlowRow) => { text: string; title: string } | undefined {
  return useMemo(() => (row: FlowRow) => (isInvestigatedDrop(row) ? policyCell(explainer.attribution(row)) : undefined), [explainer]);
}
