import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { flowToJsonObject } from "@/lib/flow-json";
import { boundFlowJson } from "@/lib/flow-model";
import { GetFlowsDecoder, type RelayResponse } from "./raw-flows";

const decoder = new GetFlowsDecoder();
const decodeGetFlowsResponse = (bytes: Uint8Array) => decoder.decode(bytes);
/** The message part of a decoded response (its proto fields), for comparing with fromBinary's. */
const messageOf = ({ wire: _wire, ...message }: RelayResponse): GetFlowsResponse => message;

const response = (init: Parameters<typeof create<typeof GetFlowsResponseSchema>>[1]) => toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, init));

const flow = create(FlowSchema, {
  uuid: "f-1",
  time: { seconds: 1_700_000_000n, nanos: 5 },
  nodeName: "node-a",
  source: { podName: "a", labels: ["k8s:app=a"] },
});

describe("GetFlowsDecoder: fromBinary with the Flow decoded on first read", () => {
  it("a flow response equals fromBinary's, and carries the flow's bytes and JSON from the wire", () => {
    const bytes = response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a", time: flow.time });
    const lazy = decodeGetFlowsResponse(bytes);
    const wire = lazy.wire;
    assert.ok(wire?.json);
    assert.equal(new TextDecoder().decode(wire.json), JSON.stringify(boundFlowJson(flowToJsonObject(flow))));
    assert.deepEqual(Buffer.from(wire.bytes), Buffer.from(toBinary(FlowSchema, flow)));
    assert.equal(wire.uuid, "f-1");
    assert.deepEqual(wire.time, { seconds: 1_700_000_000, nanos: 5 });
    assert.deepEqual(messageOf(lazy), fromBinary(GetFlowsResponseSchema, bytes));
    assert.equal(lazy.responseTypes.value, lazy.responseTypes.value, "decoded once");
  });

  it("the wire record is part of the response: a spread keeps it", () => {
    const lazy = decodeGetFlowsResponse(response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a" }));
    const copy: RelayResponse = { ...lazy };
    assert.equal(copy.wire, lazy.wire);
  });

  it("a flow response without envelope fields equals fromBinary's", () => {
    const bytes = response({ responseTypes: { case: "flow", value: create(FlowSchema) } });
    const lazy = decodeGetFlowsResponse(bytes);
    assert.ok(lazy.wire?.json);
    assert.deepEqual(messageOf(lazy), fromBinary(GetFlowsResponseSchema, bytes));
  });

  it("without JSON (the recorder's decoder): the flow's bytes, uuid and time, no JSON", () => {
    const bytes = response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a" });
    const lazy = new GetFlowsDecoder({ json: false }).decode(bytes);
    assert.equal(lazy.wire?.json, undefined);
    assert.equal(lazy.wire?.uuid, "f-1");
    assert.deepEqual(lazy.wire?.time, { seconds: 1_700_000_000, nanos: 5 });
    assert.deepEqual(messageOf(lazy), fromBinary(GetFlowsResponseSchema, bytes));
  });

  it("times of every size read as fromBinary reads them, in the envelope and in the recorder's wire record", () => {
    // Seconds from 2^49 on and before 1970 take the long way (a bigint) past the readers' fast path.
    const seconds = [0n, 1n, 127n, 128n, 1_700_000_000n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 62n, -1n, -62_135_596_800n];
    for (const s of seconds) {
      const time = { seconds: s, nanos: 999_999_999 };
      const bytes = response({ responseTypes: { case: "flow", value: create(FlowSchema, { uuid: "u", time }) }, nodeName: "n", time });
      assert.deepEqual(messageOf(decodeGetFlowsResponse(bytes)), fromBinary(GetFlowsResponseSchema, bytes), `${s}`);
      const recorders = new GetFlowsDecoder({ json: false }).decode(bytes);
      assert.deepEqual(messageOf(recorders), fromBinary(GetFlowsResponseSchema, bytes), `${s}`);
      assert.deepEqual(recorders.wire?.time, { seconds: Number(s), nanos: 999_999_999 }, `${s}`);
    }
  });

  it("nanos of every size read as fromBinary reads an int32 (negative ones take ten bytes on the wire)", () => {
    for (const nanos of [0, 1, 127, 128, 2 ** 31 - 1, -1, -(2 ** 31), 999_999_999]) {
      const time = { seconds: 1_700_000_000n, nanos };
      const bytes = response({ responseTypes: { case: "flow", value: create(FlowSchema, { uuid: "u", time }) }, nodeName: "n", time });
      assert.deepEqual(messageOf(decodeGetFlowsResponse(bytes)), fromBinary(GetFlowsResponseSchema, bytes), `${nanos}`);
      const recorders = new GetFlowsDecoder({ json: false }).decode(bytes);
      assert.deepEqual(messageOf(recorders), fromBinary(GetFlowsResponseSchema, bytes), `${nanos}`);
    }
    // A varint wider than 32 bits keeps its low 32 bits, as protobuf-es's int32 does: 2^32 + 5 → 5.
    const wide = Uint8Array.from([0x08, 0x01, 0x10, 0x85, 0x80, 0x80, 0x80, 0x10]);
    const bytes = response({ responseTypes: { case: "flow", value: create(FlowSchema, { uuid: "u" }) }, nodeName: "n" });
    const withTime = Uint8Array.from([...bytes, 0xca, 0x3e, wide.length, ...wide]);
    assert.deepEqual(messageOf(decodeGetFlowsResponse(withTime)), fromBinary(GetFlowsResponseSchema, withTime));
    assert.equal(fromBinary(GetFlowsResponseSchema, withTime).time?.nanos, 5);
  });

  const eager: Array<[string, Uint8Array]> = [
    ["node status", response({ responseTypes: { case: "nodeStatus", value: create(NodeStatusEventSchema, { nodeNames: ["a"] }) } })],
    ["lost events", response({ responseTypes: { case: "lostEvents", value: create(LostEventSchema, { numEventsLost: 3n }) } })],
    // Unknown envelope field 7 (varint) after a flow.
    ["unknown envelope field", Uint8Array.from([...response({ responseTypes: { case: "flow", value: flow } }), 0x38, 0x01])],
    // A flow the transcoder declines (invalid UTF-8 would throw; a repeated message merges).
    ["flow with a repeated message field", Uint8Array.from([...response({ responseTypes: { case: "flow", value: flow } }), 0x0a, 0x04, 0x42, 0x02, 0x2a, 0x00])],
  ];
  for (const [name, bytes] of eager) {
    it(`${name}: decoded by fromBinary, nothing transcoded`, () => {
      const r: RelayResponse = decodeGetFlowsResponse(bytes);
      assert.equal(r.wire, undefined);
      assert.deepEqual(r, fromBinary(GetFlowsResponseSchema, bytes));
    });
  }

  it("bytes malformed in the envelope or the flow's top level fail in the deserializer, as fromBinary fails (inside the flow: server/hub/batch.test.ts)", () => {
    const bytes = response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a" });
    const truncated = bytes.subarray(0, bytes.length - 3);
    assert.throws(() => fromBinary(GetFlowsResponseSchema, truncated));
    assert.throws(() => decodeGetFlowsResponse(truncated));
  });
});
