import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { GetFlowsDecoder } from "@/server/grpc/raw-flows";
import { flowToJsonObject, parseJsonLines } from "@/lib/flow-json";
import { startDemoRelay } from "@/server/demo-relay";
import { RelayClient } from "@/server/relay-client/relay-client";
import { recordOf } from "./records";
import type { KeepMode } from "./store";
import { recordFromWire } from "./wire-record";

// The recorder's wire reader gives exactly what the JSON path (lib/flow-model) gives, on every
// flow of both demo scenarios and of the hostile capture.

function check(flows: { flow: Uint8Array; json: ReturnType<typeof flowToJsonObject>; node: string }[]): number {
  let compared = 0;
  for (const f of flows) {
    for (const mode of ["all", "rollup"] as KeepMode[]) {
      const wire = recordFromWire(f.flow, f.node, mode);
      if (!wire) continue; // no uuid: the JSON path
      const json = recordOf(f.json, f.flow, mode);
      assert.deepEqual(
        { key: wire.key, timeNs: wire.timeNs, node: wire.node, keep: wire.keep, edge: wire.edge },
        { key: json.key, timeNs: json.timeNs, node: json.node || f.node, keep: json.keep, edge: json.edge },
        JSON.stringify(f.json).slice(0, 400),
      );
      compared++;
    }
  }
  return compared;
}

async function demoFlows(scenario: string): Promise<{ flow: Uint8Array; json: ReturnType<typeof flowToJsonObject>; node: string }[]> {
  const relay = await startDemoRelay({ scenario, rate: 2000, seed: 5, bufferCapacity: 4095 });
  const client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 5000, requestTimeoutMs: 5000 });
  const out: { flow: Uint8Array; json: ReturnType<typeof flowToJsonObject>; node: string }[] = [];
  try {
    for await (const r of client.getFlows(create(GetFlowsRequestSchema, { number: 1500n })) as AsyncIterable<GetFlowsResponse>) {
      if (r.responseTypes.case !== "flow") continue;
      const flow = r.responseTypes.value;
      out.push({ flow: toBinary(FlowSchema, flow), json: flowToJsonObject(flow), node: r.nodeName });
    }
  } finally {
    client.close();
    await relay.close();
  }
  return out;
}

describe("flow responses decoded without their JSON (the recorder's client)", () => {
  it("carry the flow's bytes, uuid and time, and still decode the Flow on first read", async () => {
    const [f] = await demoFlows("shop");
    const bytes = toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: fromBinary(FlowSchema, f.flow) }, nodeName: f.node }));
    const r = new GetFlowsDecoder({ json: false }).decode(bytes);
    assert.equal(r.wire?.json, undefined);
    assert.deepEqual(Buffer.from(r.wire!.bytes), Buffer.from(f.flow));
    const id = r.wire!;
    assert.equal(id.uuid, f.json.uuid);
    assert.equal(r.responseTypes.case === "flow" && r.responseTypes.value.uuid, f.json.uuid);
    assert.ok(id.time && id.time.seconds > 0);
  });
});

describe("flow records from the wire", () => {
  for (const scenario of ["shop", "starwars"]) {
    it(`equal the JSON path's on the ${scenario} demo's flows`, async () => {
      const flows = await demoFlows(scenario);
      assert.ok(check(flows) > 1000);
    });
  }

  it("equal the JSON path's on the hostile capture, and leave flows without uuid to it", () => {
    const lines = [...parseJsonLines(readFileSync("e2e/fixtures/capture-and-hostile.jsonl", "utf8"))];
    const flows = lines.flatMap((l) =>
      l.ok && l.response.responseTypes.case === "flow"
        ? [{ flow: toBinary(FlowSchema, l.response.responseTypes.value), json: flowToJsonObject(l.response.responseTypes.value), node: l.response.nodeName }]
        : [],
    );
    assert.ok(check(flows) >= 8, "4 flows with uuid, in both modes");
    const noUuid = create(FlowSchema, { nodeName: "n" });
    assert.equal(recordFromWire(toBinary(FlowSchema, noUuid), "n", "all"), undefined);
    assert.equal(recordFromWire(new Uint8Array([0x0a, 0x05, 0x01]), "n", "all"), undefined, "truncated");
  });
});
