import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { flowToBoundedJson } from "@/lib/flow-json";
import { contentKey } from "@/lib/flow-model";
import { GetFlowsDecoder, type RelayResponse } from "@/server/grpc/raw-flows";
import { BoundedKeySet, FlowDeduplicator, flowKey, lostEventKey } from "./dedup";
import { T0, flowAt, lostAt, sec } from "./testing/builders";

const flowOf = (res: ReturnType<typeof flowAt>): Flow => res.responseTypes.value as Flow;
const withFlow = (flow: Flow, nodeName = ""): GetFlowsResponse => create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName });
const decoder = new GetFlowsDecoder();
/** As the relay client delivers it: with the flow's JSON transcoded from the wire. */
const fromWire = (res: GetFlowsResponse): RelayResponse => decoder.decode(toBinary(GetFlowsResponseSchema, res));

describe("flow keys", () => {
  it("the uuid identifies a flow when present (Cilium >= 1.14)", () => {
    assert.equal(flowKey(flowAt(T0, { uuid: "a-b-c" })), "u:a-b-c");
    assert.equal(flowKey(flowAt(T0, { uuid: "a-b-c", srcPort: 1 })), "u:a-b-c");
    assert.equal(flowKey(fromWire(flowAt(T0, { uuid: "a-b-c" }))), "u:a-b-c");
  });

  it("without uuid, the content decides (lib/flow-model's contentKey): same event -> same key", () => {
    assert.equal(flowKey(flowAt(T0)), flowKey(flowAt(T0)));
    assert.equal(flowKey(flowAt(T0)), contentKey(flowToBoundedJson(flowOf(flowAt(T0)))));
  });

  it("from the wire or from the message: the same key", () => {
    for (const res of [flowAt(T0), flowAt(T0, { uuid: "x" }), flowAt(T0, { srcPort: 7 })]) assert.equal(flowKey(fromWire(res)), flowKey(res));
  });

  it("without uuid, any distinguishing field gives a different key", () => {
    const base = flowKey(flowAt(T0));
    assert.notEqual(flowKey(flowAt(T0 + 1n)), base, "one nanosecond later");
    assert.notEqual(flowKey(flowAt(T0, { node: "other" })), base, "other node");
    assert.notEqual(flowKey(flowAt(T0, { srcPort: 40001 })), base, "other port");
    const reply = flowOf(flowAt(T0));
    reply.isReply = true;
    assert.notEqual(flowKey(withFlow(reply, "kind-worker")), base, "reply direction");
  });

  it("the envelope node name stands in when a field mask removed flow.node_name", () => {
    const flow = flowOf(flowAt(T0));
    flow.nodeName = "";
    assert.equal(flowKey(withFlow(flow, "kind-worker")), flowKey(flowAt(T0)));
  });

  it("a flow with neither uuid nor time cannot be keyed", () => {
    assert.equal(flowKey(withFlow(create(FlowSchema, { nodeName: "n" }))), null);
    assert.equal(flowKey(fromWire(withFlow(create(FlowSchema, { nodeName: "n" })))), null);
  });

  it("lost events are keyed by node, time and content", () => {
    const a = lostAt(T0, 5n);
    const key = (r: typeof a) => lostEventKey(r.responseTypes.value as never, r.nodeName, T0);
    assert.equal(key(a), key(lostAt(T0, 5n)));
    assert.notEqual(key(a), key(lostAt(T0, 6n)));
    assert.notEqual(key(a), key(lostAt(T0, 5n, "other")));
  });
});

describe("FlowDeduplicator: no duplicate inside the window, bounded memory", () => {
  it("admits a key once", () => {
    const dedup = new FlowDeduplicator({ windowNs: sec(3) });
    assert.equal(dedup.admit("a", T0), true);
    assert.equal(dedup.admit("a", T0), false);
    assert.equal(dedup.admit("b", T0), true);
  });

  it("forgets keys older than the window behind the newest flow", () => {
    const dedup = new FlowDeduplicator({ windowNs: sec(3) });
    for (let i = 0; i < 10_000; i++) dedup.admit(`k${i}`, T0 + sec(i / 100)); // 100 flows/s for 100 s
    dedup.prune();
    // Only the last 3 s (300 flows, +1 at the boundary) are kept.
    assert.ok(dedup.size <= 301, `size ${dedup.size}`);
    assert.equal(dedup.admit("k9999", T0 + sec(99.99)), false, "recent key still remembered");
  });

  it("stays bounded without explicit prunes", () => {
    const dedup = new FlowDeduplicator({ windowNs: sec(1) });
    let peak = 0;
    for (let i = 0; i < 50_000; i++) {
      dedup.admit(`k${i}`, T0 + sec(i / 1000)); // 1000 flows/s
      peak = Math.max(peak, dedup.size);
    }
    assert.ok(peak <= 1001 + 1024 + 1001, `peak ${peak}`);
  });

  it("flows older than the window are delivered but not remembered (they cannot repeat)", () => {
    const dedup = new FlowDeduplicator({ windowNs: sec(3) });
    dedup.admit("new", T0 + sec(10));
    assert.equal(dedup.admit("late", T0), true);
    assert.equal(dedup.size, 1);
  });

  it("the hard cap evicts the oldest keys", () => {
    const dedup = new FlowDeduplicator({ windowNs: sec(3600), maxKeys: 100 });
    for (let i = 0; i < 1000; i++) dedup.admit(`k${i}`, T0 + BigInt(i));
    assert.equal(dedup.size, 100);
    assert.equal(dedup.admit("k999", T0 + 999n), false);
  });
});

describe("BoundedKeySet", () => {
  it("remembers at most its capacity, forgetting the oldest", () => {
    const set = new BoundedKeySet(3);
    for (const k of ["a", "b", "c", "d"]) assert.equal(set.admit(k), true);
    assert.equal(set.size, 3);
    assert.equal(set.admit("d"), false);
    assert.equal(set.admit("a"), true, "a was evicted");
  });
});
