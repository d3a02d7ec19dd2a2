import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { FlowSchema, Layer4Schema, TCPSchema, type Flow, AgentEventSchema, DebugEventSchema } from "@/proto/gen/flow/flow_pb";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";
import { applyFieldMask } from "./field-mask";
import { flowToJsonObject, parseJsonLines } from "./flow-json";
import { flowToBoundedJson, flowToBoundedJsonFastOnly } from "./flow-json-fast";
import { MAX_LIST, MAX_TEXT, boundFlowJson } from "./flow-model";

import { capturesDir, captureFiles } from "@/lib/testing/captures";

function slow(flow: Flow): string {
  return JSON.stringify(boundFlowJson(flowToJsonObject(flow)));
}

function same(flow: Flow, where: string, fast = true): void {
  assert.equal(JSON.stringify(flowToBoundedJson(flow)), slow(flow), where);
  // And by the specialised converter itself, not by its fallback.
  if (fast) assert.equal(JSON.stringify(flowToBoundedJsonFastOnly(flow)), slow(flow), `${where} (fast path)`);
}

describe("flowToBoundedJson equals boundFlowJson(flowToJsonObject())", () => {
  const files = captureFiles();

  it("finds the capture files", () => {
    assert.ok(files.length > 0, `no *.jsonl under ${capturesDir} (set HUBBLE_CAPTURES_DIR)`);
  });

  for (const file of files) {
    it(path.basename(file), () => {
      let n = 0;
      for (const line of parseJsonLines(readFileSync(file, "utf8"))) {
        assert.ok(line.ok, `${path.basename(file)}:${line.line}`);
        const r = line.response;
        if (r.responseTypes.case !== "flow") continue;
        same(r.responseTypes.value, `${path.basename(file)}:${line.line}`);
        // And after a binary round trip, as the relay's flows arrive.
        const decoded = fromBinary(FlowSchema, toBinary(FlowSchema, r.responseTypes.value));
        same(decoded, `${path.basename(file)}:${line.line} (binary)`);
        n++;
      }
      assert.ok(n > 0);
    });
  }

  it("the demo simulator's flows (shop, seed 7, 10 s at 1000/s)", () => {
    const sim = new TrafficSimulator(loadScenario("shop"), { seed: 7, rate: 1000, epochNs: 0n });
    let n = 0;
    for (const e of sim.advanceTo(10_000_000_000n)) {
      const r = e.response;
      if (r.responseTypes.case !== "flow") continue;
      same(r.responseTypes.value, `simulator event ${n}`);
      n++;
    }
    assert.ok(n >= 4000, `only ${n} flows`);
  });

  it("cuts hostile long strings and lists identically", () => {
    const long = "x".repeat(MAX_TEXT + 10);
    const flow = create(FlowSchema, {
      nodeName: long,
      uuid: "y".repeat(MAX_TEXT),
      sourceNames: Array.from({ length: MAX_LIST + 50 }, (_, i) => (i === 0 ? long : `n${i}`)),
      nodeLabels: Array.from({ length: MAX_LIST * 3 }, (_, i) => `l${i}`),
      source: { labels: [long], podName: long, workloads: Array.from({ length: MAX_LIST + 1 }, () => ({ name: long })) },
      egressAllowedBy: Array.from({ length: MAX_LIST + 2 }, (_, i) => ({ name: `p${i}`, labels: [long], revision: 7n })),
      l7: { record: { case: "http", value: { url: long, headers: [{ key: long, value: long }] } } },
      Summary: long,
    });
    same(flow, "hostile");
    const out = flowToBoundedJson(flow);
    assert.equal((out.node_name as string).length, MAX_TEXT + 1);
    assert.equal((out.source_names as string[]).length, MAX_LIST);
    same(fromBinary(FlowSchema, toBinary(FlowSchema, flow)), "hostile (binary)");
  });

  it("writes an unknown enum number as the number", () => {
    const flow = create(FlowSchema, { verdict: 77 as never, dropReasonDesc: 9999 as never, nodeName: "n" });
    same(flow, "unknown enum");
    const out = flowToBoundedJson(flow);
    assert.equal(out.verdict, 77);
    assert.equal(out.drop_reason_desc, 9999);
  });

  it("a field-masked flow with an empty but set sub-message", () => {
    const full = create(FlowSchema, {
      time: { seconds: 1_700_000_000n, nanos: 120_000_000 },
      l4: { protocol: { case: "TCP", value: { sourcePort: 0, destinationPort: 0, flags: {} } } },
      source: {},
      isReply: false,
      nodeName: "node",
    });
    same(full, "set but empty sub-messages");
    const masked = applyFieldMask(FlowSchema, full, ["source", "l4", "time"]);
    same(masked, "masked");
    const direct = create(FlowSchema, { source: {}, l4: create(Layer4Schema, { protocol: { case: "TCP", value: create(TCPSchema) } }) });
    same(direct, "direct");
    const out = flowToBoundedJson(direct);
    assert.deepEqual(out.source, {});
    assert.deepEqual(out.l4, { TCP: {} });
  });

  it("timestamps with 0, 3, 6 and 9 fractional digits, wrappers, 64-bit integers, oneofs", () => {
    for (const nanos of [0, 1, 100, 120_000_000, 123_456_000, 123_456_789, 999_999_999]) {
      for (const seconds of [0n, 1n, 1_700_000_000n, -62_135_596_800n, 253_402_300_799n]) {
        same(create(FlowSchema, { time: { seconds, nanos }, isReply: true, socketCookie: 18_446_744_073_709_551_615n }), `ts ${seconds}.${nanos}`);
      }
    }
    same(create(FlowSchema, { isReply: false, cgroupId: 1n, dropReason: 0, proxyPort: 4_294_967_295 }), "wrapper false");
  });

  it("falls back exactly for Any, and throws as the slow path does", () => {
    const withAny = create(FlowSchema, {
      nodeName: "n",
      extensions: anyPack(AgentEventSchema, create(AgentEventSchema, { type: 2 })),
    });
    same(withAny, "any");
    const debugAny = create(FlowSchema, {
      extensions: anyPack(DebugEventSchema, create(DebugEventSchema, { hash: 0, cpu: 3, message: "x".repeat(MAX_TEXT + 1) })),
    });
    same(debugAny, "any debug event");
    const badTime = create(FlowSchema, { time: { seconds: 999_999_999_999_999n, nanos: 0 } });
    assert.throws(() => flowToJsonObject(badTime));
    assert.throws(() => flowToBoundedJson(badTime));
  });
});
