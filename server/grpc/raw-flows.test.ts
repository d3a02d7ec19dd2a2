import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { flowToBoundedJson } from "@/lib/flow-json-fast";
import { decodeGetFlowsResponse, wireFlowJson } from "./raw-flows";

const response = (init: Parameters<typeof create<typeof GetFlowsResponseSchema>>[1]) => toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, init));

const flow = create(FlowSchema, {
  uuid: "f-1",
  time: { seconds: 1_700_000_000n, nanos: 5 },
  nodeName: "node-a",
  source: { podName: "a", labels: ["k8s:app=a"] },
});

describe("decodeGetFlowsResponse: fromBinary with the Flow decoded on first read", () => {
  it("a flow response equals fromBinary's, and carries the flow's JSON from the wire", () => {
    const bytes = response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a", time: flow.time });
    const lazy = decodeGetFlowsResponse(bytes);
    const wire = wireFlowJson(lazy);
    assert.ok(wire);
    assert.equal(new TextDecoder().decode(wire.json), JSON.stringify(flowToBoundedJson(flow)));
    assert.deepEqual(lazy, fromBinary(GetFlowsResponseSchema, bytes));
    assert.equal(lazy.responseTypes.value, lazy.responseTypes.value, "decoded once");
  });

  it("a flow response without envelope fields equals fromBinary's", () => {
    const bytes = response({ responseTypes: { case: "flow", value: create(FlowSchema) } });
    const lazy = decodeGetFlowsResponse(bytes);
    assert.ok(wireFlowJson(lazy));
    assert.deepEqual(lazy, fromBinary(GetFlowsResponseSchema, bytes));
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
      const r: GetFlowsResponse = decodeGetFlowsResponse(bytes);
      assert.equal(wireFlowJson(r), undefined);
      assert.deepEqual(r, fromBinary(GetFlowsResponseSchema, bytes));
    });
  }

  it("malformed bytes fail in the deserializer, as fromBinary fails", () => {
    const bytes = response({ responseTypes: { case: "flow", value: flow }, nodeName: "node-a" });
    const truncated = bytes.subarray(0, bytes.length - 3);
    assert.throws(() => fromBinary(GetFlowsResponseSchema, truncated));
    assert.throws(() => decodeGetFlowsResponse(truncated));
  });
});
