import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, it } from "node:test";
import { clone, create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Flow, FlowSchema, IPSchema, Layer4Schema, LostEventSchema, LostEventSource, Verdict } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState, NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { getFlowsResponseToJson, parseJsonLines } from "@/lib/flow-json";
import { captureFiles } from "@/lib/testing/captures";
import { encodeGetFlowsResponse } from "./fast-encode";
import { loadScenario } from "./scenario";
import { TrafficSimulator } from "./simulator";

const EPOCH_NS = 1_760_000_000_000_000_000n;

function simulated(scenario: string, n: number, seed = 7): GetFlowsResponse[] {
  const sim = new TrafficSimulator(loadScenario(scenario), { seed, rate: 5000, epochNs: EPOCH_NS });
  const out: GetFlowsResponse[] = [];
  for (let ms = 50; out.length < n; ms += 50) {
    for (const e of sim.advanceTo(EPOCH_NS + BigInt(ms) * 1_000_000n)) out.push(e.response);
  }
  return out;
}

function captureLines(): Array<{ where: string; response: GetFlowsResponse }> {
  const out: Array<{ where: string; response: GetFlowsResponse }> = [];
  for (const file of captureFiles()) {
    for (const line of parseJsonLines(readFileSync(file, "utf8"))) {
      if (line.ok) out.push({ where: `${basename(file)}:${line.line}`, response: line.response });
    }
  }
  return out;
}

/** The decoded message equals the original, the plain encoding's decoding, and has the same JSON. */
function assertRoundTrip(r: GetFlowsResponse, where: string): void {
  const before = toBinary(GetFlowsResponseSchema, r);
  const bytes = encodeGetFlowsResponse(r);
  const decoded = fromBinary(GetFlowsResponseSchema, bytes);
  assert.ok(equals(GetFlowsResponseSchema, decoded, r), `${where}: decodes to the original`);
  const plain = fromBinary(GetFlowsResponseSchema, before);
  assert.ok(equals(GetFlowsResponseSchema, decoded, plain), `${where}: equals toBinary's decoding`);
  assert.equal(getFlowsResponseToJson(decoded), getFlowsResponseToJson(r), `${where}: same JSON`);
  assert.equal(bytes.length, before.length, `${where}: same size as toBinary`);
  assert.deepEqual(toBinary(GetFlowsResponseSchema, r), before, `${where}: input not modified`);
}

describe("encodeGetFlowsResponse", () => {
  for (const scenario of ["shop", "starwars"]) {
    it(`round-trips thousands of simulated ${scenario} events`, () => {
      const events = simulated(scenario, 4000);
      assert.ok(events.some((r) => r.responseTypes.case === "flow"));
      events.forEach((r, i) => assertRoundTrip(r, `${scenario} event ${i}`));
      // Twice: the second pass takes every shared sub-message from the caches.
      events.forEach((r, i) => assertRoundTrip(r, `${scenario} event ${i} (cached)`));
    });
  }

  it("never changes a result it handed out, across slabs, oversized flows and fallbacks", () => {
    // Results share slabs; keep thousands (several MB), interleaved with a flow larger than a slab
    // and flows that take the toBinary path, then check every one against a plain encoding.
    const events = simulated("shop", 6000, 11);
    const big = clone(
      GetFlowsResponseSchema,
      events.find((r) => r.responseTypes.case === "flow")!,
    );
    (big.responseTypes.value as Flow).Summary = "x".repeat(3 * 1024 * 1024);
    const odd = clone(GetFlowsResponseSchema, big);
    (odd.responseTypes.value as Flow).Summary = "odd";
    (odd.responseTypes.value as Flow).verdict = -5 as Verdict; // out of range: toBinary's path
    const all = [...events.slice(0, 3000), big, odd, ...events.slice(3000), big];
    const results = all.map((r) => encodeGetFlowsResponse(r));
    all.forEach((r, i) => {
      assert.deepEqual(fromBinary(GetFlowsResponseSchema, results[i]), fromBinary(GetFlowsResponseSchema, toBinary(GetFlowsResponseSchema, r)), `result ${i}`);
    });
  });

  it("round-trips every shape of l4 and IP it writes in place, and those it leaves to the cache", () => {
    const base = simulated("shop", 50).find((r) => r.responseTypes.case === "flow")!;
    const variants: Array<[string, (f: Flow) => void]> = [
      ["UDP", (f) => (f.l4 = create(Layer4Schema, { protocol: { case: "UDP", value: { sourcePort: 53, destinationPort: 40000 } } }))],
      ["TCP without flags, zero ports", (f) => (f.l4 = create(Layer4Schema, { protocol: { case: "TCP", value: {} } }))],
      [
        "TCP max ports",
        (f) => (f.l4 = create(Layer4Schema, { protocol: { case: "TCP", value: { sourcePort: 0xffffffff, destinationPort: 65535, flags: { SYN: true, NS: true } } } })),
      ],
      ["ICMPv4", (f) => (f.l4 = create(Layer4Schema, { protocol: { case: "ICMPv4", value: { type: 8 } } }))],
      ["empty l4", (f) => (f.l4 = create(Layer4Schema, {}))],
      ["IP, all fields", (f) => (f.IP = create(IPSchema, { source: "fd00::1", destination: "fd00::2", sourceXlated: "10.0.0.9", ipVersion: 2, encrypted: true }))],
      ["IP over 127 bytes", (f) => (f.IP = create(IPSchema, { source: "1".repeat(90), destination: "2".repeat(90), ipVersion: 1 }))],
      ["IP, non-ASCII", (f) => (f.IP = create(IPSchema, { source: "é", destination: "ü".repeat(70) }))],
      ["empty IP", (f) => (f.IP = create(IPSchema, {}))],
    ];
    for (const [name, change] of variants) {
      const r = clone(GetFlowsResponseSchema, base);
      change(r.responseTypes.value as Flow);
      assertRoundTrip(r, name);
    }
  });

  it("round-trips lost events", () => {
    const lost = create(GetFlowsResponseSchema, {
      responseTypes: {
        case: "lostEvents",
        value: create(LostEventSchema, { source: LostEventSource.HUBBLE_RING_BUFFER, numEventsLost: 12n, cpu: 3 }),
      },
      nodeName: "n1",
      time: create(TimestampSchema, { seconds: 1n, nanos: 2 }),
    });
    assertRoundTrip(lost, "lost events");
  });

  it("round-trips node status events", () => {
    const status = create(GetFlowsResponseSchema, {
      responseTypes: {
        case: "nodeStatus",
        value: create(NodeStatusEventSchema, { stateChange: NodeState.NODE_CONNECTED, nodeNames: ["a", "b"], message: "m" }),
      },
      nodeName: "relay",
    });
    assertRoundTrip(status, "node status");
  });

  it("round-trips every capture line", () => {
    const lines = captureLines();
    assert.ok(lines.length > 0, "the captures hold flows");
    for (const { where, response } of lines) assertRoundTrip(response, where);
    // Replayed copies (as the looping replay makes them) share the originals' sub-messages.
    for (const { where, response } of lines) {
      if (response.responseTypes.case !== "flow") continue;
      const flow = create(FlowSchema, { ...response.responseTypes.value, uuid: "copy" });
      assertRoundTrip(create(GetFlowsResponseSchema, { ...response, responseTypes: { case: "flow", value: flow } }), `${where} copy`);
    }
  });

  it("handles what it does not write itself: unknown fields, edge values, an empty flow", () => {
    const [base] = simulated("shop", 1, 3);
    assert.equal(base.responseTypes.case, "flow");
    const flow = base.responseTypes.value as Flow;
    const cases: Array<[string, GetFlowsResponse]> = [];
    const withFlow = (name: string, f: object, env: Partial<GetFlowsResponse> = {}) =>
      cases.push([name, { ...base, ...env, responseTypes: { case: "flow", value: { ...flow, ...f } } } as GetFlowsResponse]);
    withFlow("empty flow", create(FlowSchema));
    withFlow("no time, no node name", { time: undefined }, { time: undefined, nodeName: "" });
    withFlow("distinct envelope time", {}, { time: create(TimestampSchema, { seconds: 5n, nanos: 0 }) });
    withFlow("negative seconds", { time: create(TimestampSchema, { seconds: -5n, nanos: 7 }) });
    withFlow("zero time", { time: create(TimestampSchema) });
    withFlow("non-ASCII and long strings", { uuid: "é✓𝄞", Summary: "x".repeat(300), nodeLabels: ["ü=1", "y".repeat(200)] });
    withFlow("large uint64 and uint32", { socketCookie: 2n ** 63n, cgroupId: 1n, proxyPort: 0xffffffff, dropReason: 0x80000000 });
    withFlow("is_reply false / true", { isReply: false, reply: true });
    withFlow("unknown fields on the flow", { $unknown: [{ no: 999, wireType: 0, data: Uint8Array.of(5) }] });
    withFlow("an Any extension", { extensions: { $typeName: "google.protobuf.Any", typeUrl: "type.googleapis.com/flow.Flow", value: new Uint8Array() } });
    withFlow("verdict", { verdict: Verdict.DROPPED });
    cases.push(["unknown fields on the envelope", { ...base, $unknown: [{ no: 998, wireType: 0, data: Uint8Array.of(1) }] }]);
    for (const [name, r] of cases) assertRoundTrip(r, name);
  });

  it("does not let a cached sub-message leak into a flow without it", () => {
    const [a] = simulated("shop", 1, 5);
    if (a.responseTypes.case !== "flow") return;
    const flow = a.responseTypes.value;
    encodeGetFlowsResponse(a);
    const without = clone(GetFlowsResponseSchema, a);
    if (without.responseTypes.case === "flow") {
      without.responseTypes.value.source = undefined;
      without.responseTypes.value.nodeLabels = [];
    }
    assertRoundTrip(without, "without source");
    assert.ok(flow.source, "the original keeps its source");
  });
});
