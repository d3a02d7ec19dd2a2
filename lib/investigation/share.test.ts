import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { toFlowRow, type FlowRow } from "../flow-model";
import { defaultViewState, parseViewState } from "../view-state";
import { defaultInvestigationTitle, MAX_INVESTIGATION_FLOWS, shareInvestigationBody } from "./share";

function flow(i: number, extra: JsonObject = {}): JsonObject {
  return {
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    time: new Date(Date.UTC(2026, 10, 28, 10, 0, 0) - i * 10).toISOString(),
    verdict: "DROPPED",
    drop_reason_desc: "POLICY_DENIED",
    source: { namespace: "shop", pod_name: "web-1", workloads: [{ name: "web", kind: "Deployment" }] },
    destination: { namespace: "payments", pod_name: "api-1", workloads: [{ name: "api", kind: "Deployment" }] },
    l4: { TCP: { destination_port: 8080 } },
    ...extra,
  };
}

function rowsOf(n: number): { rows: FlowRow[]; raw: Map<string, JsonObject> } {
  const raw = new Map<string, JsonObject>();
  const rows = Array.from({ length: n }, (_, i) => {
    const json = flow(i);
    const row = toFlowRow(json);
    raw.set(row.id, json);
    return row;
  });
  return { rows, raw };
}

describe("share investigation body", () => {
  const now = new Date("2026-11-28T10:05:00Z");

  it("makes the view absolute and keeps the selected flow", () => {
    const { rows, raw } = rowsOf(3);
    const view = { ...defaultViewState(), flow: rows[1].id, query: { ...defaultViewState().query, since: "5m" } };
    const body = shareInvestigationBody({ title: "  x  ", note: "n", view, rows, raw, now });
    const back = parseViewState(new URLSearchParams(body.view));
    assert.ok(back.ok);
    assert.equal(back.view.query.since, "2026-11-28T10:00:00.000Z");
    assert.equal(back.view.query.until, now.toISOString());
    assert.equal(back.view.flow, rows[1].id);
    assert.equal(back.view.panel, "details");
    assert.equal(body.title, "x");
    assert.equal(body.selectedFlow, rows[1].id);
    assert.equal(body.flows.length, 3);
  });

  it("bounds the flows and never drops the selected one", () => {
    const { rows, raw } = rowsOf(MAX_INVESTIGATION_FLOWS + 10);
    const oldest = rows[rows.length - 1].id;
    const body = shareInvestigationBody({ title: "t", note: "", view: { ...defaultViewState(), flow: oldest }, rows, raw, now });
    assert.equal(body.flows.length, MAX_INVESTIGATION_FLOWS);
    assert.ok(body.flows.some((f) => f.uuid === oldest));
  });

  it("titles a drop by reason and endpoints", () => {
    assert.equal(defaultInvestigationTitle(toFlowRow(flow(0))), "POLICY_DENIED: shop/web → payments/api:8080");
    assert.equal(defaultInvestigationTitle(undefined), "Investigation");
  });
});
