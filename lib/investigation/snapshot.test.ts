import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { emptyFlowQuery } from "../filter-model";
import { captureLines } from "../testing/captures";
import { snapshotFlows } from "./snapshot";

type Json = { flow?: { time?: string; verdict?: string; source?: { namespace?: string }; destination?: { namespace?: string } } };

const lines = captureLines("hubble-otel-basic-sample-400-tcp-flows.jsonl");
const parsed = lines.map((l) => JSON.parse(l) as Json);
const now = new Date("2030-01-01T00:00:00Z");

describe("saved investigation flows through the view's query", () => {
  it("keeps every flow when the query is empty", () => {
    const r = snapshotFlows(lines.join("\n"), emptyFlowQuery(), now);
    assert.equal(r.flows.length, parsed.filter((p) => p.flow).length);
    assert.equal(r.unreadable, 0);
  });

  it("applies --namespace as Hubble does (source or destination)", () => {
    const ns = parsed.map((p) => p.flow?.source?.namespace).find((n) => !!n)!;
    const want = parsed.filter((p) => p.flow && (p.flow.source?.namespace === ns || p.flow.destination?.namespace === ns)).length;
    const r = snapshotFlows(lines.join("\n"), { ...emptyFlowQuery(), namespaces: [ns] }, now);
    assert.ok(want > 0 && want < parsed.length, "the capture must have flows in and out of the namespace");
    assert.equal(r.flows.length, want);
    assert.equal(r.filteredOut, parsed.filter((p) => p.flow).length - want);
  });

  it("applies the time window", () => {
    const times = parsed
      .map((p) => p.flow?.time)
      .filter((t): t is string => !!t)
      .map((t) => Date.parse(t))
      .sort((a, b) => a - b);
    const mid = new Date(times[Math.floor(times.length / 2)]).toISOString();
    const r = snapshotFlows(lines.join("\n"), { ...emptyFlowQuery(), since: mid }, now);
    assert.ok(r.flows.length > 0 && r.flows.length < times.length);
    for (const f of r.flows) assert.ok(Date.parse(String(f.time)) >= Date.parse(mid) - 1);
  });

  it("counts unreadable lines and non-flow events without stopping", () => {
    const text = [lines[0], "{not json", '{"node_status":{"state_change":"NODE_CONNECTED","node_names":["a"]}}', lines[1]].join("\n");
    const r = snapshotFlows(text, emptyFlowQuery(), now);
    assert.equal(r.flows.length, 2);
    assert.equal(r.unreadable, 1);
    assert.equal(r.other, 1);
    assert.equal(r.problems.length, 1);
  });
});
