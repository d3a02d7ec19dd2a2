import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { clone, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { AgentEventSchema, FlowSchema, type Flow, type TrafficDirection, type Verdict } from "@/proto/gen/flow/flow_pb";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";
import { concatBytes } from "@/lib/testing/bytes";
import { captureFiles } from "@/lib/testing/captures";
import { flowToJsonObject, parseJsonLines } from "@/lib/flow-json";
import { MAX_LIST, MAX_TEXT, boundFlowJson } from "@/lib/flow-model";
import { timestampJsonText } from "./flow-json-plan";
import { createFlowJsonTranscoder } from "./flow-json-transcoder";

const text = new TextDecoder();
const transcoder = createFlowJsonTranscoder();

/** What the reference (lib/flow-json.ts, bounded) gives for these bytes (or its error). */
function expected(bytes: Uint8Array): string {
  return JSON.stringify(boundFlowJson(flowToJsonObject(fromBinary(FlowSchema, bytes))));
}

/** The transcoder took the fast path and produced exactly the reference's JSON. */
function same(bytes: Uint8Array, where: string): void {
  const wire = transcoder.transcode(bytes);
  assert.ok(wire, `${where}: took the slow path`);
  assert.equal(text.decode(wire.json), expected(bytes), where);
  const flow = fromBinary(FlowSchema, bytes);
  assert.equal(wire.uuid, flow.uuid, `${where}: uuid`);
  assert.deepEqual(wire.time, flow.time ? { seconds: Number(flow.time.seconds), nanos: flow.time.nanos } : undefined);
}

/** The transcoder declined, so the caller's reference path decides. */
function declined(bytes: Uint8Array, where: string): void {
  assert.equal(transcoder.transcode(bytes), undefined, where);
}

const bin = (flow: Flow) => toBinary(FlowSchema, flow);

describe("FlowJsonTranscoder equals JSON.stringify(boundFlowJson(flowToJsonObject(fromBinary())))", () => {
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
    it(`the demo simulator's flows (${scenario}, seed 7, 5 s at 1000/s)`, () => {
      const sim = new TrafficSimulator(loadScenario(scenario), { seed: 7, rate: 1000, epochNs: 1_700_000_000_000_000_000n });
      let n = 0;
      for (const e of sim.advanceTo(1_700_000_005_000_000_000n)) {
        if (e.response.responseTypes.case !== "flow") continue;
        same(bin(e.response.responseTypes.value), `${scenario} event ${n++}`);
      }
      assert.ok(n >= 2000, `only ${n} flows`);
    });
  }

  it("cuts hostile long strings and lists, ASCII or not, exactly like boundFlowJson", () => {
    const long = "x".repeat(MAX_TEXT + 10);
    const wide = "é€😀".repeat(MAX_TEXT); // cut may split a surrogate pair
    const flow = create(FlowSchema, {
      time: { seconds: 1_700_000_000n, nanos: 123_456_789 },
      nodeName: long,
      uuid: "y".repeat(MAX_TEXT),
      sourceNames: Array.from({ length: MAX_LIST + 50 }, (_, i) => (i === 0 ? wide : `n${i}`)),
      nodeLabels: Array.from({ length: MAX_LIST * 3 }, (_, i) => `l${i}`),
      source: { labels: [long, 'quote" back\\slash \u0001 \u007f \u2028'], podName: wide, workloads: Array.from({ length: MAX_LIST + 1 }, () => ({ name: long })) },
      egressAllowedBy: Array.from({ length: MAX_LIST + 2 }, (_, i) => ({ name: `p${i}`, labels: [long], revision: 7n })),
      l7: { record: { case: "http", value: { url: wide, headers: [{ key: long, value: "\ufeffbom" }] } } },
      Summary: `\ufeff${long}`,
      isReply: false,
      socketCookie: 0xffff_ffff_ffff_ffffn,
      cgroupId: 1n << 60n,
    });
    same(bin(flow), "hostile");
  });

  it("writes unknown enum numbers as numbers and ignores unknown fields", () => {
    const flow = create(FlowSchema, { uuid: "u", verdict: 99 as Verdict, eventType: { type: 129 }, trafficDirection: 7 as TrafficDirection });
    same(bin(flow), "unknown enum values");
    const unknown = new Uint8Array([0xf8, 0xff, 0x3f, 0x05, 0xfa, 0xff, 0x3f, 0x02, 0x61, 0x62]); // fields 131071 varint + bytes
    same(concatBytes(bin(flow), unknown), "unknown fields");
  });

  it("declines what only the reference gets right, which then still answers", () => {
    const base = bin(create(FlowSchema, { uuid: "u", source: { namespace: "a" }, l4: { protocol: { case: "TCP", value: { sourcePort: 1 } } } }));
    // A singular message repeated on the wire merges; a second oneof member wins.
    const again = bin(create(FlowSchema, { source: { podName: "p" }, l4: { protocol: { case: "UDP", value: { destinationPort: 2 } } } }));
    declined(concatBytes(base, again), "repeated fields");
    assert.match(expected(concatBytes(base, again)), /"namespace":"a","pod_name":"p"/);
    // google.protobuf.Any extensions.
    declined(bin(create(FlowSchema, { uuid: "u", extensions: anyPack(AgentEventSchema, create(AgentEventSchema)) })), "Any");
    // Invalid UTF-8 in a string: fromBinary refuses it.
    const bad = new Uint8Array([0x92, 0x02, 0x02, 0xc3, 0x28]); // field 34 (uuid)
    assert.equal(FlowSchema.fields.find((f) => f.number === 34)?.name, "uuid");
    declined(bad, "invalid UTF-8");
    assert.throws(() => fromBinary(FlowSchema, bad));
    // Truncated data.
    declined(base.subarray(0, base.length - 1), "truncated");
    // A timestamp toJson refuses (year 10000).
    declined(bin(create(FlowSchema, { time: { seconds: 253_402_300_800n } })), "timestamp out of range");
  });

  it("the time in ms is what Date.parse gives for the JSON time", () => {
    for (const [seconds, nanos] of [
      [0, 0],
      [1_700_000_000, 999_999_999],
      [1_700_000_000, 1_000_000],
      [1_700_000_000, 999_999],
      [-1, 500_000_000],
      [-62_135_596_800, 1],
      [253_402_300_799, 999_999_999],
    ]) {
      const json = timestampJsonText(seconds, nanos)!;
      assert.equal(seconds * 1000 + Math.floor(nanos / 1e6), Date.parse(json), json);
    }
  });
});

describe("FlowJsonTranscoder instances", () => {
  const flows = (() => {
    const sim = new TrafficSimulator(loadScenario("shop"), { seed: 3, rate: 1000, epochNs: 1_700_000_000_000_000_000n });
    const out: Uint8Array[] = [];
    for (const e of sim.advanceTo(1_700_000_002_000_000_000n)) if (e.response.responseTypes.case === "flow") out.push(bin(e.response.responseTypes.value));
    return out;
  })();

  it("share no state: interleaved on two instances, with declined flows between, every JSON stays the reference's", () => {
    const a = createFlowJsonTranscoder();
    const b = createFlowJsonTranscoder();
    const truncated = flows[0].subarray(0, flows[0].length - 1);
    const kept: Array<{ json: Uint8Array; bytes: Uint8Array }> = [];
    flows.forEach((bytes, i) => {
      const t = i % 2 === 0 ? a : b;
      const got = t.transcode(bytes);
      assert.ok(got, `flow ${i}`);
      kept.push({ json: got.json, bytes });
      // A flow declined half-way through on the other instance must not touch this one's output.
      assert.equal((i % 2 === 0 ? b : a).transcode(truncated), undefined);
    });
    assert.ok(flows.length > 1000, `only ${flows.length} flows`); // enough to fill several output slabs
    // Each JSON is a view into its instance's slab: later flows must not have overwritten it.
    for (const [i, k] of kept.entries()) assert.equal(text.decode(k.json), expected(k.bytes), `flow ${i}`);
  });
});

describe("the exactness check sees every field", () => {
  // Each top-level field the captures carry, removed in turn: the transcoder's JSON changes, and
  // still equals the reference. A transcoder that dropped or mangled a field would fail here.
  for (const file of captureFiles()) {
    it(`every field of the first flows of ${path.basename(file)}`, () => {
      let checked = 0;
      for (const line of parseJsonLines(readFileSync(file, "utf8"))) {
        assert.ok(line.ok);
        if (line.response.responseTypes.case !== "flow" || line.line > 40) continue;
        const flow = line.response.responseTypes.value;
        const full = text.decode(transcoder.transcode(bin(flow))!.json);
        const reference = expected(bin(flow));
        assert.equal(full, reference);
        for (const field of FlowSchema.fields) {
          if (field.oneof) continue;
          const without = clone(FlowSchema, flow);
          const local = field.localName as keyof Flow;
          (without as unknown as Record<string, unknown>)[local] = create(FlowSchema)[local];
          const bytes = bin(without);
          if (expected(bytes) === reference) continue; // the field was not set
          const json = text.decode(transcoder.transcode(bytes)!.json);
          assert.notEqual(json, full, `${path.basename(file)}:${line.line} without ${field.name}`);
          assert.equal(json, expected(bytes), `${path.basename(file)}:${line.line} without ${field.name}`);
          checked++;
        }
      }
      assert.ok(checked > 0);
    });
  }
});
