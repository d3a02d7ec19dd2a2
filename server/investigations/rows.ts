import "server-only";
import type { PolicySnapshot } from "@/server/policies";
import type { Investigation, InvestigationSummary } from "./store";

// Table rows ⇄ the store's types, the same for both backends.

export interface SummaryRow {
  id: string;
  title: string;
  note: string;
  view: string;
  selected_flow: string | null;
  created_at: string;
  flow_count: number | string;
}

export interface InvestigationRow extends SummaryRow {
  policies: string;
}

export const SUMMARY_COLUMNS = "id, title, note, view, selected_flow, created_at, flow_count";

export function summaryFromRow(row: SummaryRow): InvestigationSummary {
  return {
    id: row.id,
    title: row.title,
    note: row.note,
    view: row.view,
    selectedFlow: row.selected_flow,
    createdAt: row.created_at,
    flowCount: Number(row.flow_count),
  };
}

export function investigationFromRow(row: InvestigationRow): Investigation {
  return { ...summaryFromRow(row), policies: JSON.parse(row.policies) as PolicySnapshot };
}
