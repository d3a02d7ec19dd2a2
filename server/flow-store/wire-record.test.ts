import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { GetFlowsDecoder, type WireFlow } from "@/server/grpc/raw-flows";
import { flowToJsonObject, parseJsonLines } from "@/lib/flow-json";
import { startDemoRelay } from "@/server/demo-relay";
import { RelayClient } from "@/server/relay-client/relay-client";
import { recordOf } from "./records";
import type { KeepMode } from "./store";
import { recordFromWire } from "./wire-record";

// The recorder's wire reader gives exactly what the JSON path (lib/flow-model) gives, on every
// flow of both demo scenarios and of the hostile capture, each read as the recorder's relay client
// reads it (its wire record: bytes, uuid and time).

interface Sample {
  flow: Uint8Array;
  wire: WireFlow;
  json: ReturnType<typeof flowToJsonObject>;
  node: string;
}

const recorderDecoder = new GetFlowsDecoder({ json: false });

/** The flow as the recorder's client hands it over; undefined when the client would not read it from the wire. */
function sample(flow: Flow, node: string): Sample[] {
  const response = toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: node }));
  const wire = recorderDecoder.decode(response).wire;
  return wire ? [{ flow: wire.bytes, wire, json: flowToJsonObject(flow), node }] : [];
}

function check(flows: Sample[]): number {
  let compared = 0;
  for (const f of flows) {
    for (const mode of ["all", "rollup"] as KeepMode[]) {
      const wire = recordFromWire(f.wire, f.node, mode);
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

async function demoFlows(scenario: string): Promise<Sample[]> {
  const relay = await startDemoRelay({ scenario, rate: 2000, seed: 5, bufferCapacity: 4095 });
  const client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 5000, requestTimeoutMs: 5000 });
  const out: Sample[] = [];
  try {
    for await (const r of client.getFlows(create(GetFlowsRequestSchema, { number: 1500n })) as AsyncIterable<GetFlowsResponse>) {
      if (r.responseTypes.case !== "flow") continue;
      out.push(...sample(r.responseTypes.value, r.nodeName));
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

  it("equal the JSON path's while names come and go faster than the reader's name cache holds them", () => {
    // 12,000 flows, most with names of their own (the cache holds 4,096), names that differ in one
    // byte or only in length, long and non-ASCII ones, and endpoints named by labels or by IP.
    const names = (i: number) => [`pod-${i}`, `pod-${i % 7}`, `q${"x".repeat(i % 80)}`, `café-ü-€-😀-${i % 13}`, i % 2 === 0 ? "a" : "b"];
    const flows = Array.from({ length: 12_000 }, (_, i) => {
      const [unique, few, long, unicode, tiny] = names(i);
      const labels = i % 5 === 0 ? ["reserved:world"] : i % 5 === 1 ? ["reserved:host", `k8s:app=${few}`] : [`k8s:app=${unique}`];
      const named = i % 4 !== 3;
      return create(FlowSchema, {
        uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        time: { seconds: 1_700_000_000n + BigInt(i), nanos: i },
        nodeName: i % 3 === 0 ? unicode : `node-${i % 4}`,
        verdict: i % 2 === 0 ? 1 : 2,
        isReply: i % 6 === 0 ? true : undefined,
        IP: { source: `10.0.${i % 256}.${i % 200}`, destination: `10.1.${i % 3}.${i % 251}` },
        l4: { protocol: { case: "TCP", value: { sourcePort: 40_000 + (i % 1000), destinationPort: 80 + (i % 5) } } },
        source: { namespace: tiny, podName: named ? unique : "", workloads: i % 2 === 0 && named ? [{ name: long }] : [], labels, identity: i },
        destination: {
          namespace: few,
          podName: i % 7 === 0 ? "" : few,
          workloads: i % 3 === 0 ? [{ name: unicode }] : [],
          labels: ["reserved:kube-apiserver", "reserved:world"],
          identity: 2,
        },
      });
    });
    const samples = flows.flatMap((f, i) => sample(f, `envelope-${i % 9}`));
    assert.equal(samples.length, flows.length);
    assert.equal(check(samples), 2 * flows.length);
  });

  it("equal the JSON path's on the hostile capture, and leave flows without uuid to it", () => {
    const lines = [...parseJsonLines(readFileSync("e2e/fixtures/capture-and-hostile.jsonl", "utf8"))];
    const flows = lines.flatMap((l) => (l.ok && l.response.responseTypes.case === "flow" ? sample(l.response.responseTypes.value, l.response.nodeName) : []));
    assert.ok(check(flows) >= 8, "4 flows with uuid, in both modes");
    const noUuid = create(FlowSchema, { nodeName: "n" });
    assert.equal(recordFromWire({ bytes: toBinary(FlowSchema, noUuid), uuid: "", time: undefined }, "n", "all"), undefined);
    assert.equal(recordFromWire({ bytes: new Uint8Array([0x4a, 0x05, 0x01]), uuid: "u", time: undefined }, "n", "all"), undefined, "truncated");
  });
});
