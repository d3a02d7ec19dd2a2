// What "Share investigation" sends: the view (made absolute, so the link means the same window
// later), the selected drop, and the flows in view, newest first and bounded. Pure.

import type { JsonObject } from "@bufbuild/protobuf";
import { type CreateInvestigationRequest, MAX_INVESTIGATION_FLOWS, MAX_NOTE, MAX_TITLE } from "../api/investigations";
import type { FlowEndpointView, FlowRow } from "../flow-model";
import { shareableViewState, type ViewState, viewStateToParams } from "../view-state";

export { MAX_INVESTIGATION_FLOWS, MAX_NOTE, MAX_TITLE };

/** The request body (lib/api/investigations.ts). */
export type ShareInvestigationBody = CreateInvestigationRequest;

/** "POLICY_DENIED: frontend/web → payments/api:8080": a title that says what the drop was. */
export function defaultInvestigationTitle(row: FlowRow | undefined): string {
  if (!row) return "Investigation";
  const what = row.verdict === "DROPPED" ? row.dropReason || "Dropped" : row.verdict;
  const port = row.destination.port ? `:${row.destination.port}` : "";
  return `${what}: ${endpointName(row.source)} → ${endpointName(row.destination)}${port}`.slice(0, MAX_TITLE);
}

function endpointName(e: FlowEndpointView): string {
  if (e.namespace) return `${e.namespace}/${e.workload || e.pod || e.identity}`;
  if (e.names.length > 0) return e.names[0];
  return e.entity ?? (e.ip || "unknown");
}

/**
 * The request body. `rows` are the flows in view, newest first; the selected flow is always kept,
 * even when it is older than the newest MAX_INVESTIGATION_FLOWS.
 */
export function shareInvestigationBody(input: {
  title: string;
  note: string;
  view: ViewState;
  rows: readonly FlowRow[];
  raw: ReadonlyMap<string, JsonObject>;
  now: Date;
}): ShareInvestigationBody {
  const { view, rows, raw } = input;
  const kept = rows.slice(0, MAX_INVESTIGATION_FLOWS);
  if (view.flow && !kept.some((r) => r.id === view.flow)) {
    const selected = rows.find((r) => r.id === view.flow);
    if (selected) kept[kept.length === MAX_INVESTIGATION_FLOWS ? kept.length - 1 : kept.length] = selected;
  }
  const flows: JsonObject[] = [];
  for (const r of kept) {
    const json = raw.get(r.id);
    if (json) flows.push(json);
  }
  const shared = shareableViewState({ ...view, panel: view.flow ? "details" : view.panel }, input.now);
  return {
    title: input.title.trim().slice(0, MAX_TITLE) || "Investigation",
    note: input.note.slice(0, MAX_NOTE),
    view: viewStateToParams(shared).toString(),
    selectedFlow: view.flow ?? null,
    flows,
  };
}
