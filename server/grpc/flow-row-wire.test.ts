import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import {
  type AuthType,
  type DropReason,
  type Flow,
  FlowSchema,
  type FlowType,
  type L7FlowType,
  type TraceObservationPoint,
  type TrafficDirection,
  type Verdict,
} from "@/proto/gen/flow/flow_pb";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";
import { concatBytes } from "@/lib/testing/bytes";
import { captureFiles } from "@/lib/testing/captures";
import { flowToBoundedJson, parseJsonLines } from "@/lib/flow-json";
import { type FlowRow, MAX_LIST, MAX_TEXT, toFlowRow } from "@/lib/flow-model";
import { createFlowJsonTranscoder } from "./flow-json-transcoder";
import { rowFromWire } from "./flow-row-wire";

// The oracle: on every flow, the row read from the wire is exactly the JSON path's row,
// `toFlowRow(JSON.parse(<the transcoder's bounded jsonpb>))`, or undefined (then the caller takes
// the JSON path). Flows of the demo's three scenarios, of the recorded real captures, of the
// hostile fixture, and hostile flows made here; declines are counted per source.

const text = new TextDecoder();
const transcoder = createFlowJsonTranscoder();
const bin = (flow: Flow) => toBinary(FlowSchema, flow);
type FlowInit = MessageInitShape<typeof FlowSchema>;

interface Tally {
  wire: number;
  declined: number;
}

/** The JSON path's row of `bytes` as the hub computes it, with the wire record it has then; undefined when the transcoder declines. */
function viaTranscoder(bytes: Uint8Array): { row: FlowRow; wire: Parameters<typeof rowFromWire>[0] } | undefined {
  const t = transcoder.transcode(bytes);
  if (!t) return undefined;
  return { row: toFlowRow(JSON.parse(text.decode(t.json)) as JsonObject), wire: { bytes, uuid: t.uuid, time: t.time } };
}

/** The reference's row (fromBinary + lib/flow-json.ts) with the wire record of the decoded flow; undefined when fromBinary refuses the bytes. */
function viaReference(bytes: Uint8Array): { row: FlowRow; wire: Parameters<typeof rowFromWire>[0] } | undefined {
  let flow: Flow;
  try {
    flow = fromBinary(FlowSchema, bytes);
  } catch {
    return undefined;
  }
  const time = flow.time ? { seconds: Number(flow.time.seconds), nanos: flow.time.nanos } : undefined;
  return { row: toFlowRow(JSON.parse(JSON.stringify(flowToBoundedJson(flow))) as JsonObject), wire: { bytes, uuid: flow.uuid, time } };
}

/** Where the transcoder accepts the flow, the wire row equals its row (or declines); counted in `tally`. */
function check(bytes: Uint8Array, where: string, tally: Tally, seen?: FlowRow[]): void {
  const expected = viaTranscoder(bytes);
  assert.ok(expected, `${where}: the transcoder declined`);
  const got = rowFromWire(expected.wire);
  if (got === undefined) {
    tally.declined++;
    return;
  }
  assert.deepEqual(got, expected.row, where);
  tally.wire++;
  seen?.push(got);
}

function simulatorFlows(scenario: string, seconds: number, rate: number): Uint8Array[] {
  const epochNs = 1_700_000_000_000_000_000n;
  const sim = new TrafficSimulator(loadScenario(scenario), { seed: 11, rate, epochNs });
  const out: Uint8Array[] = [];
  for (const e of sim.advanceTo(epochNs + BigInt(seconds) * 1_000_000_000n)) {
    if (e.response.responseTypes.case === "flow") out.push(bin(e.response.responseTypes.value));
  }
  return out;
}

function fileFlows(file: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const line of parseJsonLines(readFileSync(file, "utf8"))) {
    assert.ok(line.ok, `${file}:${line.line}`);
    if (line.response.responseTypes.case === "flow") out.push(bin(line.response.responseTypes.value));
  }
  return out;
}

/**
 * Which of the row's values the rows hold with something other than their empty value: the
 * corpus must reach each, or a reader that ignored one would pass.
 */
function reached(rows: FlowRow[]): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown, at: string) => {
    if (value === undefined || value === "" || value === 0 || value === false) return;
    if (Array.isArray(value)) {
      if (value.length > 0) out.add(at);
      for (const v of value) if (typeof v === "object") visit(v, at);
      return;
    }
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, at ? `${at}.${k}` : k);
      return;
    }
    out.add(at);
  };
  for (const r of rows) visit(r, "");
  return out;
}

describe("rowFromWire equals toFlowRow of the transcoder's JSON", () => {
  const all: FlowRow[] = [];
  const tallies: Record<string, Tally> = {};

  for (const [scenario, seconds, rate] of [
    ["shop", 5, 1000],
    ["starwars", 5, 1000],
    ["large", 2, 5000],
  ] as const) {
    it(`on the demo's ${scenario} flows (seed 11, ${seconds} s at ${rate}/s), none declined`, () => {
      const tally = (tallies[scenario] = { wire: 0, declined: 0 });
      const flows = simulatorFlows(scenario, seconds, rate);
      flows.forEach((bytes, i) => check(bytes, `${scenario} flow ${i}`, tally, all));
      assert.ok(flows.length >= 4000, `only ${flows.length} flows`);
      assert.deepEqual(tally, { wire: flows.length, declined: 0 });
    });
  }

  for (const file of [...captureFiles(), "e2e/fixtures/capture-and-hostile.jsonl"]) {
    const name = path.basename(file);
    it(`on every flow of ${name}, none declined`, () => {
      const tally = (tallies[name] = { wire: 0, declined: 0 });
      const flows = fileFlows(file);
      flows.forEach((bytes, i) => check(bytes, `${name} flow ${i}`, tally, all));
      assert.ok(flows.length > 0);
      assert.deepEqual(tally, { wire: flows.length, declined: 0 });
    });
  }

  it("the flows above reach every value of the row, and the flows without uuid take the content key", (t) => {
    const got = reached(all);
    const want = [
      "id",
      "time",
      "timeMs",
      "verdict",
      "dropReason",
      "eventType",
      "eventSubType",
      "flowType",
      "l4Protocol",
      "tcpFlags",
      "direction",
      "isReply",
      "node",
      "summary",
      "traceObservationPoint",
      "policyMatchType",
      "allowedBy",
      "allowedBy.kind",
      "allowedBy.name",
      "allowedBy.namespace",
      "l7.kind",
      "l7.type",
      "l7.latencyNs",
      "l7.httpMethod",
      "l7.httpUrl",
      "l7.httpPath",
      "l7.httpCode",
      "l7.httpProtocol",
      "l7.dnsQuery",
      "l7.dnsRcode",
      "l7.dnsIps",
      "l7.dnsQtypes",
      ...["source", "destination"].flatMap((s) =>
        ["namespace", "pod", "workload", "workloadKind", "identity", "labels", "ip", "port", "names", "service", "cluster", "entity"].map((k) => `${s}.${k}`),
      ),
    ];
    assert.deepEqual(
      want.filter((k) => !got.has(k)),
      [],
    );
    assert.ok(all.some((r) => r.id.startsWith("ck|")) && all.some((r) => !r.id.startsWith("ck|")));
    t.diagnostic(`wire vs declined per source: ${JSON.stringify(tallies)}`);
  });
});

describe("rowFromWire on hostile flows", () => {
  const tally: Tally = { wire: 0, declined: 0 };
  const same = (flow: Flow, where: string) => {
    const before = tally.wire;
    check(bin(flow), where, tally);
    assert.equal(tally.wire, before + 1, `${where}: declined`);
  };

  it("cuts long strings and lists exactly as the JSON path does", () => {
    const long = "x".repeat(MAX_TEXT + 10);
    const wide = "é€😀".repeat(MAX_TEXT); // the cut may split a surrogate pair
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const policies = (p: string) =>
      Array.from({ length: MAX_LIST + 3 }, (_, i) => ({ name: `${p}${i}${i === 0 ? long : ""}`, namespace: wide, kind: "CiliumNetworkPolicy", labels: [long] }));
    for (const uuid of ["y".repeat(MAX_TEXT + 1), ""]) {
      same(
        create(FlowSchema, {
          uuid,
          time: { seconds: 1_700_000_000n, nanos: 123_456_789 },
          nodeName: long,
          verdict: 2,
          Summary: `\ufeff${wide}`,
          IP: { source: long, destination: wide, encrypted: true },
          l4: { protocol: { case: "TCP", value: { sourcePort: 65535, destinationPort: 1, flags: { SYN: true, ACK: true, NS: true, FIN: false } } } },
          sourceNames: many(MAX_LIST + 5, (i) => (i === 0 ? wide : `n${i}`)),
          destinationNames: [long],
          source: {
            namespace: long,
            podName: wide,
            clusterName: long,
            identity: 0xffff_ffff,
            labels: many(MAX_LIST + 1, (i) => (i === MAX_LIST ? "reserved:world" : `k8s:l${i}=${i === 0 ? long : "v"}`)),
            workloads: many(MAX_LIST + 1, (i) => String(i)).map((name) => ({ name: name + long, kind: wide })),
          },
          destination: { labels: ["reserved:world", "reserved:kube-apiserver", long] },
          sourceService: { name: long, namespace: wide },
          destinationService: { namespace: "only-namespace" },
          ingressAllowedBy: policies("ia"),
          egressAllowedBy: policies("ea"),
          ingressDeniedBy: policies("id"),
          egressDeniedBy: policies("ed"),
          l7: {
            type: 2,
            latencyNs: 0xffff_ffff_ffff_ffffn,
            record: { case: "dns", value: { query: long, ips: many(MAX_LIST + 2, (i) => `10.0.0.${i}`), qtypes: [wide], rcode: 3 } },
          },
        }),
        `long (uuid ${uuid.length})`,
      );
    }
    same(
      create(FlowSchema, { uuid: "u", l7: { type: 1, record: { case: "http", value: { url: `https://h/${wide}?q=/x`, method: long, code: 503, protocol: wide } } } }),
      "long url",
    );
  });

  it("names unknown enum numbers as the JSON path does (numbers it reads as absent; auth_type's kept)", () => {
    for (const [v, auth] of [
      [99, 9],
      [-3, -3],
      [0x7fff_ffff, 2],
    ]) {
      same(
        create(FlowSchema, {
          uuid: v === 99 ? "" : "u",
          verdict: v as Verdict,
          authType: auth as AuthType,
          Type: v as FlowType,
          trafficDirection: v as TrafficDirection,
          traceObservationPoint: v as TraceObservationPoint,
          dropReasonDesc: v as DropReason,
          eventType: { type: v, subType: -v },
          l7: { type: v as L7FlowType },
        }),
        `enum ${v}`,
      );
    }
  });

  it("reads flows without time, uuid, endpoints or L4, and every kind of L4 and L7, as the JSON path does", () => {
    const l4s: FlowInit["l4"][] = [
      undefined,
      { protocol: { case: undefined } },
      { protocol: { case: "TCP", value: {} } },
      { protocol: { case: "UDP", value: { sourcePort: 5353, destinationPort: 53 } } },
      { protocol: { case: "SCTP", value: { sourcePort: 1, chunkType: 2 } } },
      { protocol: { case: "ICMPv4", value: { type: 8, code: 1 } } },
      { protocol: { case: "ICMPv6", value: { code: 4 } } },
      { protocol: { case: "VRRP", value: { type: 1, vrid: 7, priority: 3 } } },
      { protocol: { case: "IGMP", value: { type: 17, groupAddress: "224.0.0.1" } } },
    ];
    const l7s: FlowInit["l7"][] = [
      undefined,
      {},
      { latencyNs: 5n },
      { type: 3 },
      { record: { case: "http", value: {} } },
      { type: 2, record: { case: "kafka", value: { errorCode: -1, apiKey: "produce", topic: "t", apiVersion: 3 } } },
      { record: { case: "kafka", value: {} } },
      { record: { case: "dns", value: {} } },
    ];
    let n = 0;
    for (const [i, l4] of l4s.entries()) {
      for (const [j, l7] of l7s.entries()) {
        const k = n++;
        same(
          create(FlowSchema, {
            uuid: k % 2 === 0 ? "" : `u${k}`,
            time: k % 3 === 0 ? undefined : { seconds: BigInt(k % 5 === 0 ? -1 : 1_700_000_000 + k), nanos: k % 4 === 0 ? 0 : 1000 * k },
            nodeName: k % 5 === 0 ? "" : "node",
            l4,
            l7,
            source: k % 4 === 0 ? undefined : { identity: k, podName: `p${k}` },
            destination: k % 3 === 0 ? undefined : { identity: 0, namespace: "ns" },
            isReply: k % 3 === 0 ? undefined : k % 3 === 1,
            reply: k % 2 === 0,
            Summary: k % 7 === 0 ? "" : `s${i}${j}`,
          }),
          `l4 ${i}, l7 ${j}`,
        );
      }
    }
    same(create(FlowSchema), "an empty flow");
  });

  it("reads each endpoint as its own while endpoints share cache slots or come and go faster than the cache holds them", () => {
    // Endpoints alike but for one label in their middle (the cache hashes their ends: one slot), and
    // 6,000 endpoints of their own (the cache holds 2,048), each flow read twice in a row.
    const endpoint = (i: number, middle: string) => ({
      identity: 1000 + (i % 3),
      namespace: "ns",
      labels: ["k8s:app=a", `k8s:middle=${middle}`, ...Array.from({ length: 8 }, (_, j) => `k8s:io.cilium.k8s.namespace.labels.l${j}=${"v".repeat(20)}`)],
      podName: "pod-same-name",
      workloads: [{ name: "w", kind: "Deployment" }],
      clusterName: "c",
    });
    for (let i = 0; i < 6000; i++) {
      const flow = create(FlowSchema, {
        uuid: `u${i}`,
        source: endpoint(i, i % 2 === 0 ? "even" : "odd!"),
        destination: endpoint(i, `d${i}`),
        IP: { source: `10.0.0.${i % 250}` },
      });
      for (const pass of [1, 2]) {
        const before = tally.wire;
        check(bin(flow), `endpoint flow ${i}, pass ${pass}`, tally);
        assert.equal(tally.wire, before + 1);
      }
    }
  });

  it("reads values the encoder would have left out (zeros on the wire) as absent, and skips unknown fields", () => {
    const base = bin(create(FlowSchema, { uuid: "", time: { seconds: 1n }, source: { podName: "p" } }));
    const zeros = new Uint8Array([0x10, 0x00, 0x5a, 0x00, 0xb0, 0x01, 0x00, 0x80, 0x01, 0x00, 0x8a, 0x01, 0x00]); // verdict 0, node_name "", traffic_direction 0, reply false, l7 {}
    const unknown = new Uint8Array([0xf8, 0xff, 0x3f, 0x05, 0xfa, 0xff, 0x3f, 0x02, 0x61, 0x62]); // fields 131071 varint + bytes
    for (const [bytes, where] of [
      [concatBytes(base, zeros), "zeros"],
      [concatBytes(unknown, base), "unknown fields"],
    ] as const) {
      check(bytes, where, tally);
      assert.ok(rowFromWire(viaTranscoder(bytes)!.wire), where);
    }
  });

  it("declines what the JSON path reads otherwise, or only fromBinary decides", () => {
    const base = bin(create(FlowSchema, { uuid: "u", time: { seconds: 5n }, source: { namespace: "a" }, l4: { protocol: { case: "TCP", value: { sourcePort: 1 } } } }));
    const head = bin(create(FlowSchema, { uuid: "u", time: { seconds: 5n } }));
    const cases: [Uint8Array, string][] = [
      // A singular field repeated on the wire (a message merges, a scalar's last wins); a second oneof member wins.
      [concatBytes(base, bin(create(FlowSchema, { source: { podName: "p" } }))), "repeated endpoint"],
      [concatBytes(base, bin(create(FlowSchema, { verdict: 1 })), bin(create(FlowSchema, { verdict: 2 }))), "repeated verdict"],
      [concatBytes(head, new Uint8Array([0x32, 0x08, 0x0a, 0x02, 0x08, 0x01, 0x12, 0x02, 0x10, 0x02])), "a second L4 member"],
      // A read field with another wire type; a skipped one (ethernet, 4) with another wire type.
      [concatBytes(base, new Uint8Array([0x12, 0x01, 0x00])), "verdict as bytes"],
      [concatBytes(base, new Uint8Array([0x20, 0x01])), "ethernet as a varint"],
      // Invalid UTF-8 in a string read (destination namespace); a group; field number 0.
      [concatBytes(base, new Uint8Array([0x4a, 0x04, 0x1a, 0x02, 0xc3, 0x28])), "invalid UTF-8"],
      [concatBytes(base, new Uint8Array([0x0b, 0x0c])), "a group"],
      [concatBytes(base, new Uint8Array([0x00, 0x00])), "field 0"],
    ];
    for (const [bytes, where] of cases) assert.equal(rowFromWire({ bytes, uuid: "u", time: { seconds: 5, nanos: 0 } }), undefined, where);
    assert.ok(rowFromWire({ bytes: base, uuid: "u", time: { seconds: 5, nanos: 0 } }), "the same flow without the oddity");
  });

  it("reads every cut of a flow that is a flow (at a field boundary) as the reference does, and declines the truncated ones", () => {
    const whole = bin(
      create(FlowSchema, {
        uuid: "u",
        time: { seconds: 9n, nanos: 1 },
        verdict: 2,
        source: { namespace: "n", labels: ["a", "b"], workloads: [{ name: "w" }] },
        l7: { type: 1, record: { case: "http", value: { url: "/x", code: 200 } } },
        Summary: "s",
      }),
    );
    let read = 0;
    for (let cut = 0; cut < whole.length; cut++) {
      const bytes = whole.subarray(0, cut);
      const reference = viaReference(bytes);
      const got = rowFromWire(reference?.wire ?? { bytes, uuid: "u", time: { seconds: 9, nanos: 1 } });
      if (!reference) {
        assert.equal(got, undefined, `cut at ${cut}: read what fromBinary refuses`);
        continue;
      }
      assert.deepEqual(got, reference.row, `cut at ${cut}`);
      read++;
    }
    assert.ok(read >= 5 && read < whole.length / 2, `${read} cuts read`);
  });

  it("declines a wire record whose time does not match the bytes", () => {
    const bytes = bin(create(FlowSchema, { uuid: "u", time: { seconds: 5n } }));
    assert.ok(rowFromWire({ bytes, uuid: "u", time: { seconds: 5, nanos: 0 } }));
    assert.equal(rowFromWire({ bytes, uuid: "u", time: undefined }), undefined);
    assert.equal(rowFromWire({ bytes: bin(create(FlowSchema, { uuid: "u" })), uuid: "u", time: { seconds: 5, nanos: 0 } }), undefined);
  });
});
