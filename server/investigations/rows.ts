import "server-only";
import type { PolicySnapshot } from "@/server/policies";
import { encodeFlowChunks } from "./codec";
import { newInvestigationId } from "./ids";
import { checkNewInvestigation, type FlowReference, type FlowSource, type Investigation, type InvestigationSummary, type NamespacePair, type NewInvestigation } from "./store";

// Table rows ⇄ the store's types, the same for both backends.

export interface SummaryRow {
  id: string;
  title: string;
  note: string;
  view: string;
  selected_flow: string | null;
  created_at: string;
  flow_count: number | string;
  owner: string;
  flow_namespaces: string | null;
  flow_source: string;
}

export interface InvestigationRow extends SummaryRow {
  policies: string;
  flow_reference: string | null;
}

export const SUMMARY_COLUMNS = "id, title, note, view, selected_flow, created_at, flow_count, owner, flow_namespaces, flow_source";
export const INVESTIGATION_COLUMNS = `${SUMMARY_COLUMNS}, policies, flow_reference`;

export function summaryFromRow(row: SummaryRow): InvestigationSummary {
  return {
    id: row.id,
    title: row.title,
    note: row.note,
    view: row.view,
    selectedFlow: row.selected_flow,
    createdAt: row.created_at,
    flowCount: Number(row.flow_count),
    // Anything but a reference (a future kind this code does not know) is read as what it can open.
    flowSource: row.flow_source === "reference" ? "reference" : "copy",
    owner: row.owner,
    flowNamespaces: row.flow_namespaces === null ? null : (JSON.parse(row.flow_namespaces) as NamespacePair[]),
  };
}

export function investigationFromRow(row: InvestigationRow, sharedWith: readonly string[]): Investigation {
  const summary = summaryFromRow(row);
  const reference = summary.flowSource === "reference" && row.flow_reference !== null ? (JSON.parse(row.flow_reference) as FlowReference) : null;
  return { ...summary, flowSource: reference ? "reference" : "copy", reference, policies: JSON.parse(row.policies) as PolicySnapshot, sharedWith };
}

/** What both stores write for a new investigation: the checked record, its flows compressed, its policies as JSON. */
export async function prepareSave(
  input: NewInvestigation,
): Promise<{ saved: Investigation; chunks: Buffer[]; policies: string; flowNamespaces: string; flowSource: FlowSource; flowReference: string | null }> {
  const inv = checkNewInvestigation(input);
  const reference = inv.reference ?? null;
  const chunks = await encodeFlowChunks(inv.flows);
  const saved: Investigation = {
    id: newInvestigationId(),
    title: inv.title,
    note: inv.note,
    view: inv.view,
    selectedFlow: inv.selectedFlow,
    createdAt: new Date().toISOString(),
    flowCount: reference ? reference.count : inv.flows.length,
    flowSource: reference ? "reference" : "copy",
    reference,
    policies: inv.policies,
    owner: inv.owner,
    sharedWith: inv.sharedWith,
    flowNamespaces: inv.flowNamespaces.map((p) => [p[0], p[1]] as const),
  };
  const flowReference = reference && JSON.stringify(reference);
  return {
    // Read back through JSON, as get() will return it.
    saved: { ...saved, reference: flowReference === null ? null : (JSON.parse(flowReference) as FlowReference) },
    chunks,
    policies: JSON.stringify(inv.policies),
    flowNamespaces: JSON.stringify(saved.flowNamespaces),
    flowSource: saved.flowSource,
    flowReference,
  };
}
