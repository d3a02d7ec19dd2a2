import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type FlowSchema, Verdict } from "@/proto/gen/flow/flow_pb";
import type { FlowRow } from "@/lib/flow-model";
import { batchFlow, parsedFlow } from "./batch";
import { RowInterner } from "./row-interner";
import { flowAt, flowResponse } from "./testing";

const LABELS = ["k8s:app=checkout", "k8s:io.kubernetes.pod.namespace=shop", "k8s:io.cilium.k8s.policy.serviceaccount=checkout"];

type FlowInit = Exclude<MessageInitShape<typeof FlowSchema>, { $typeName: "flow.Flow" }>;

/** A row as the hub reads it from a flow (each decoded with strings of its own). */
function rowOf(uuid: string, init: Pick<FlowInit, "source" | "verdict" | "l7"> = {}): FlowRow {
  const flow = flowAt(1, uuid, {
    source: init.source ?? { namespace: "shop", podName: "checkout-7d4f-abcde", labels: LABELS, identity: 1234, workloads: [{ name: "checkout", kind: "Deployment" }] },
    destination: { namespace: "shop", podName: "payments-5c9b-xyz12", labels: ["k8s:app=payments"], identity: 5678 },
    verdict: init.verdict,
    l7: init.l7,
  });
  return parsedFlow(batchFlow(flowResponse(flow))).row;
}

describe("RowInterner (the aggregation's representative rows)", () => {
  it("copies a row field by field, as a new object", () => {
    const interner = new RowInterner();
    const row = rowOf("u1", {
      verdict: Verdict.DROPPED,
      l7: { type: 1, latencyNs: 1500n, record: { case: "http", value: { code: 503, method: "GET", url: "http://payments/api/v1/charge?id=7" } } },
    });
    const copy = interner.row(row);
    assert.notEqual(copy, row);
    assert.notEqual(copy.source, row.source);
    assert.deepEqual(copy, row);
    assert.ok(copy.l7 && copy.l7.kind === "http", "the row under test has its L7 part");
    assert.deepEqual(Object.keys(copy.l7), Object.keys(row.l7!), "no L7 field added or lost");
  });

  it("gives rows of different flows the same label lists, which rows read from the wire never share", () => {
    const interner = new RowInterner();
    const a = rowOf("u1");
    const b = rowOf("u2");
    assert.notEqual(a.source.labels, b.source.labels, "decoded rows have lists of their own");
    const ca = interner.row(a);
    const cb = interner.row(b);
    assert.equal(ca.source.labels, cb.source.labels);
    assert.equal(ca.destination.labels, cb.destination.labels);
    assert.equal(ca.tcpFlags, cb.tcpFlags);
    assert.deepEqual(cb.source.labels, LABELS);
    assert.equal(ca.id, "u1");
    assert.equal(cb.id, "u2");
    assert.notEqual(ca, cb);
  });

  it("holds at most its bound of distinct strings and lists, then starts over", () => {
    const interner = new RowInterner(50);
    for (let i = 0; i < 200; i++) {
      const row = rowOf(`u${i}`, { source: { namespace: `ns-${i}`, podName: `pod-${i}`, labels: [`k8s:app=a${i}`] } });
      assert.deepEqual(interner.row(row), row);
      assert.ok(interner.size <= 50, `size ${interner.size} after ${i + 1} rows`);
    }
    assert.ok(interner.size > 0);
  });
});
