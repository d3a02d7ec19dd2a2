import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, type Flow } from "@/proto/gen/flow/flow_pb";
import { GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { flowToBoundedJson } from "@/lib/flow-json";
import { contentKey, MAX_TEXT, toFlowRow } from "@/lib/flow-model";
import { encodeEvent } from "@/lib/sse";
import { rowFromWire } from "@/server/grpc/flow-row-wire";
import { GetFlowsDecoder } from "@/server/grpc/raw-flows";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import { batchFlow, makeBatch, parsedFlow, withoutSeen } from "./batch";
import { FlowSampler } from "./sampler";

const text = new TextDecoder();

function flowResponse(flow: Flow) {
  return create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: flow.nodeName, time: flow.time });
}
/** As the relay client delivers it: decoded lazily, JSON transcoded from the wire. */
const decoder = new GetFlowsDecoder();
const fromWire = (flow: Flow) => decoder.decode(toBinary(GetFlowsResponseSchema, flowResponse(flow)));

const flows: Flow[] = [
  create(FlowSchema, { uuid: "a", time: { seconds: 1_700_000_000n, nanos: 987_654_321 }, nodeName: "n1", Summary: "TCP é" }),
  create(FlowSchema, { uuid: "u".repeat(MAX_TEXT + 5), time: { seconds: 1_700_000_001n } }),
  create(FlowSchema, { time: { seconds: 1_700_000_002n, nanos: 1 }, nodeName: "n2", IP: { source: "10.0.0.1" } }), // no uuid
  create(FlowSchema, { nodeName: "n3" }), // no uuid, no time
];

describe("hub batches", () => {
  it("a flow from the wire batches exactly as its decoded message does (JSON, key, time)", () => {
    for (const [i, flow] of flows.entries()) {
      const wire = batchFlow(fromWire(flow));
      const message = batchFlow(flowResponse(flow));
      assert.equal(text.decode(wire.json), text.decode(message.json), `flow ${i}`);
      assert.equal(wire.key, message.key, `flow ${i}`);
      assert.equal(wire.timeMs, message.timeMs, `flow ${i}`);
    }
  });

  it("keys and times are the JSON's: the uuid as cut, else the content key; Date.parse of time", () => {
    const [a, long, noUuid, bare] = flows.map((f) => batchFlow(fromWire(f)));
    const json = flows.map((f) => flowToBoundedJson(f));
    assert.equal(a.key, "a");
    assert.equal(long.key, json[1].uuid);
    assert.equal(noUuid.key, contentKey(json[2]));
    assert.equal(a.timeMs, Date.parse(json[0].time as string));
    assert.equal(bare.timeMs, 0);
  });

  for (const history of [false, true]) {
    it(`the frame is encodeEvent of the flows, in UTF-8 (history: ${history})`, () => {
      const batch = makeBatch(
        flows.map((f) => batchFlow(fromWire(f))),
        history,
      );
      const objects = flows.map((f) => flowToBoundedJson(f));
      const event = history ? { type: "flows" as const, flows: objects, history } : { type: "flows" as const, flows: objects };
      assert.equal(text.decode(batch.frame), encodeEvent(event));
    });
  }

  it("withoutSeen drops the seen flows and re-encodes the frame; the batch itself when none is seen", () => {
    const batch = makeBatch(flows.map((f) => batchFlow(fromWire(f))));
    assert.equal(withoutSeen(batch, new Set(["nope"])), batch);
    const kept = withoutSeen(batch, new Set(["a"]))!;
    assert.equal(kept.flows.length, 3);
    assert.equal(text.decode(kept.frame), encodeEvent({ type: "flows", flows: flows.slice(1).map((f) => flowToBoundedJson(f)) }));
    assert.equal(withoutSeen(batch, new Set(batch.flows.map((f) => f.key))), undefined);
  });

  it("a flow from the wire has the JSON's row without parsing its JSON; the JSON object is parsed when read", () => {
    const drop = create(FlowSchema, { uuid: "d", time: { seconds: 1_700_000_003n }, verdict: 2, dropReasonDesc: 133, source: { namespace: "a", podName: "p" } });
    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
      parses++;
      return parse(...args) as unknown;
    };
    try {
      for (const [i, flow] of [...flows, drop].entries()) {
        const f = batchFlow(fromWire(flow));
        assert.ok(f.wire, `flow ${i}: no wire record`);
        const { row, priority } = parsedFlow(f);
        assert.equal(parses, 0, `flow ${i}: JSON.parse for the row`);
        assert.deepEqual(row, toFlowRow(flowToBoundedJson(flow)), `flow ${i}`);
        assert.equal(priority, flow === drop);
        assert.deepEqual(parsedFlow(f).flow, flowToBoundedJson(flow), `flow ${i}`);
        assert.equal(parses, 1, `flow ${i}: the JSON parsed once it is read`);
        assert.equal(parsedFlow(f).flow, parsedFlow(f).flow, "parsed once");
        assert.equal(parses, 1);
        parses = 0;
      }
    } finally {
      JSON.parse = parse;
    }
  });

  it("a flow the wire reader declines, or without wire record, has the row of its JSON", () => {
    for (const [i, flow] of flows.entries()) {
      const f = batchFlow(fromWire(flow));
      // Bytes that are not this flow's wire record (truncated): the JSON path answers.
      const declined = { json: f.json, key: f.key, timeMs: f.timeMs, wire: { ...f.wire!, bytes: f.wire!.bytes.subarray(0, f.wire!.bytes.length - 1) } };
      assert.equal(rowFromWire(declined.wire), undefined);
      const expected = toFlowRow(flowToBoundedJson(flow));
      assert.deepEqual(parsedFlow(declined).row, expected, `flow ${i}`);
      assert.deepEqual(parsedFlow(batchFlow(flowResponse(flow))).row, expected, `flow ${i}`);
    }
  });

  it("a flow's JSON is made only when read: a browser over its budget costs the JSON of its sample, not of every flow", () => {
    let reads = 0;
    /** The response with its wire record's JSON counted when read. */
    const counted = (r: RelayResponse): RelayResponse => {
      const wire = r.wire!;
      return {
        ...r,
        wire: {
          bytes: wire.bytes,
          uuid: wire.uuid,
          time: wire.time,
          get json() {
            reads++;
            return wire.json;
          },
        },
      };
    };
    const many = Array.from({ length: 100 }, (_, i) => create(FlowSchema, { uuid: `f${i}`, time: { seconds: 1_700_000_000n + BigInt(i) }, verdict: 1 }));
    const batch = makeBatch(many.map((f) => batchFlow(counted(fromWire(f)))));
    for (const f of batch.flows) parsedFlow(f);
    assert.equal(reads, 0, "rows and keys read no JSON");
    const taken = new FlowSampler(20, () => 0).take(batch)!;
    assert.equal(taken.flows.length, 10, "half a second of a budget of 20");
    assert.equal(reads, 0, "sampling reads no JSON");
    assert.equal(text.decode(taken.frame), encodeEvent({ type: "flows", flows: taken.flows.map((f) => flowToBoundedJson(many[Number(f.key.slice(1))])) }));
    assert.equal(reads, 10, "the sample's JSON, each once");
    assert.equal(taken.frame, taken.frame, "encoded once");
    assert.equal(reads, 10);
  });

  it("a flow whose bytes do not decode is shown as one that says so, with its uuid, time and node, never a crash", () => {
    const whole = toBinary(FlowSchema, create(FlowSchema, { uuid: "bad", time: { seconds: 1_700_000_000n }, source: { namespace: "ns", podName: "p" } }));
    // A source endpoint (field 5) whose namespace (3) claims 16 bytes of the endpoint's 4: fromBinary refuses the Flow.
    const broken = Uint8Array.from([...whole, 0x2a, 0x04, 0x1a, 0x10, 0x6e, 0x73]);
    const envelope = create(GetFlowsResponseSchema, { nodeName: "node-b" });
    const bytes = Uint8Array.from([0x0a, broken.length, ...broken, ...toBinary(GetFlowsResponseSchema, envelope)]);
    const r = decoder.decode(bytes);
    assert.ok(r.wire, "the envelope and identity read");
    assert.equal(r.wire.json, undefined, "the transcoder declines it");
    assert.throws(() => r.responseTypes.value, "fromBinary refuses it");
    const f = batchFlow(r);
    assert.equal(f.key, "bad");
    const json = JSON.parse(text.decode(f.json)) as JsonObject;
    assert.equal(json.uuid, "bad");
    assert.equal(json.node_name, "node-b");
    assert.equal(json.time, "2023-11-14T22:13:20Z");
    assert.match(String(json.Summary), /^undecodable flow: /);
    assert.equal(parsedFlow(f).row.id, "bad");
    assert.equal(text.decode(makeBatch([f]).frame), encodeEvent({ type: "flows", flows: [json] }));
  });
});
