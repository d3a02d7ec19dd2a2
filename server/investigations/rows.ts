import "server-only";
import type { PolicySnapshot } from "@/server/policies";
import { encodeFlowChunks } from "./codec";
import { newInvestigationId } from "./ids";
import { checkNewInvestigation, type Investigation, type InvestigationSummary, type NewInvestigation } from "./store";

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

/** What both stores write for a new investigation: the checked record, its flows compressed, its policies as JSON. */
export async function prepareSave(input: NewInvestigation): Promise<{ saved: Investigation; chunks: Buffer[]; policies: string }> {
  const inv = checkNewInvestigation(input);
  const chunks = await encodeFlowChunks(inv.flows);
  const saved: Investigation = {
    id: newInvestigationId(),
    title: inv.title,
    note: inv.note,
    view: inv.view,
    selectedFlow: inv.selectedFlow,
    createdAt: new Date().toISOString(),
    flowCount: inv.flows.length,
    policies: inv.policies,
  };
  return { saved, chunks, policies: JSON.stringify(inv.policies) };
}
