import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type AuthType, FlowSchema, type Flow, type Verdict } from "@/proto/gen/flow/flow_pb";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";
import { captureFiles } from "@/lib/testing/captures";
import { parseJsonLines } from "@/lib/flow-json";
import { type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { FLOW_ROW_FIELDS, type FlowFieldSpec, MAX_LIST, MAX_TEXT, toFlowRow } from "@/lib/flow-model";
import { createFlowJsonTranscoder } from "./flow-json-transcoder";
import { flowRowJson } from "./flow-row-json";

const text = new TextDecoder();
const transcoder = createFlowJsonTranscoder();

/** The whole JSON projected on `spec`, as the JSON has it (lists of objects projected item by item). */
function projected(value: JsonValue, spec: FlowFieldSpec | true): JsonValue {
  if (spec === true || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => projected(v, spec));
  const out: JsonObject = {};
  for (const key of Object.keys(value)) if (key in spec) out[key] = projected(value[key], spec[key]);
  return out;
}

/** The wire reader gives exactly the JSON's values for the row's fields, and so the same row. */
function same(bytes: Uint8Array, where: string): void {
  const wire = transcoder.transcode(bytes);
  assert.ok(wire, `${where}: the transcoder declined`);
  const whole = JSON.parse(text.decode(wire.json)) as JsonObject;
  const part = flowRowJson(bytes);
  assert.ok(part, `${where}: the row reader declined`);
  assert.deepEqual(part, projected(whole, FLOW_ROW_FIELDS), where);
  assert.deepEqual(toFlowRow(part), toFlowRow(whole), where);
  // Key order too: toFlowRow reads the first l4 key and the TCP flags in order.
  assert.equal(JSON.stringify(part), JSON.stringify(projected(whole, FLOW_ROW_FIELDS)), where);
}

const bin = (flow: Flow) => toBinary(FlowSchema, flow);

describe("flowRowJson: the fields toFlowRow reads, from the wire, equal the JSON's", () => {
  for (const file of captureFiles()) {
    it(`every flow of ${path.basename(file)}`, () => {
      let n = 0;
      for (const line of parseJsonLines(readFileSync(file, "utf8"))) {
        assert.ok(line.ok);
        if (line.response.responseTypes.case !== "flow") continue;
        same(bin(line.response.responseTypes.value), `${path.basename(file)}:${line.line}`);
        n++;
      }
      assert.ok(n > 0);
    });
  }

  for (const scenario of ["shop", "starwars"]) {
    it(`the demo simulator's flows (${scenario}, seed 7, 3 s at 1000/s)`, () => {
      const sim = new TrafficSimulator(loadScenario(scenario), { seed: 7, rate: 1000, epochNs: 1_700_000_000_000_000_000n });
      let n = 0;
      for (const e of sim.advanceTo(1_700_000_003_000_000_000n)) {
        if (e.response.responseTypes.case !== "flow") continue;
        same(bin(e.response.responseTypes.value), `${scenario} event ${n++}`);
      }
      assert.ok(n >= 1000, `only ${n} flows`);
    });
  }

  it("hostile and unusual flows: long text and lists, unknown enum numbers, every L4 and L7 kind, policies, reply flags", () => {
    const long = "x".repeat(MAX_TEXT + 10);
    const wide = "é€😀".repeat(MAX_TEXT);
    const flows: Flow[] = [
      create(FlowSchema, {
        time: { seconds: 1_700_000_000n, nanos: 123_456_789 },
        uuid: wide,
        nodeName: long,
        verdict: 99 as Verdict,
        authType: 7 as AuthType,
        sourceNames: Array.from({ length: MAX_LIST + 5 }, (_, i) => (i === 0 ? wide : `n${i}`)),
        source: {
          identity: 2,
          namespace: long,
          labels: Array.from({ length: MAX_LIST * 2 }, (_, i) => `l${i}`),
          podName: wide,
          workloads: [{ name: long, kind: "Deployment" }, { name: "b" }],
        },
        destination: { labels: ["reserved:world", "reserved:kube-apiserver"], clusterName: "c" },
        l4: { protocol: { case: "TCP", value: { sourcePort: 1, destinationPort: 2, flags: { SYN: true, ACK: true, NS: true } } } },
        l7: {
          type: 2,
          latencyNs: 0xffff_ffff_ffffn,
          record: { case: "http", value: { code: 503, method: "GET", url: `http://a/${wide}?q=/x`, protocol: "HTTP/1.1", headers: [{ key: "k", value: "v" }] } },
        },
        egressDeniedBy: Array.from({ length: MAX_LIST + 2 }, (_, i) => ({ kind: "CiliumNetworkPolicy", namespace: "ns", name: `p${i}`, labels: ["a"] })),
        ingressAllowedBy: [{ name: "allow" }],
        isReply: false,
        Summary: long,
      }),
      create(FlowSchema, {
        uuid: "u",
        l4: { protocol: { case: "ICMPv6", value: { type: 128 } } },
        l7: { record: { case: "dns", value: { query: "a.b.", rcode: 3, ips: ["1.1.1.1"], qtypes: ["A"] } } },
        reply: true,
      }),
      create(FlowSchema, {
        uuid: "u",
        l4: { protocol: { case: "VRRP", value: { type: 1 } } },
        l7: { record: { case: "kafka", value: { topic: "t", apiKey: "produce", errorCode: -1 } } },
        isReply: true,
      }),
      create(FlowSchema, { uuid: "u", l4: {}, l7: {}, source: {}, IP: { encrypted: true } }),
      create(FlowSchema, { eventType: { type: 129, subType: -3 }, trafficDirection: 2, policyMatchType: 4, traceObservationPoint: 101 }), // no uuid
      create(FlowSchema),
    ];
    for (const [i, flow] of flows.entries()) same(bin(flow), `flow ${i}`);
  });

  it("reads the fields in declaration order whatever the wire order", () => {
    const flags = bin(create(FlowSchema, { uuid: "u", l4: { protocol: { case: "TCP", value: { flags: { SYN: true } } } } }));
    const later = bin(create(FlowSchema, { verdict: 1 }));
    // verdict (2) after l4 (6) on the wire
    const bytes = new Uint8Array([...flags, ...later]);
    same(bytes, "out of order");
  });

  it("declines bytes that are not a plain flow", () => {
    const base = bin(create(FlowSchema, { uuid: "u", nodeName: "n" }));
    assert.equal(flowRowJson(base.subarray(0, base.length - 1)), undefined);
    assert.equal(flowRowJson(new Uint8Array([...base, ...base])), undefined, "a singular field twice");
  });
});
