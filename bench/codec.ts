// Micro benchmark of the GetFlowsResponse codecs on realistic messages: ~20k events of the demo
// relay's simulator (shop scenario, seed 7) and every line of the captures in
// /work/shared/data/hubble-captures (or --captures DIR). Prints thousands of flows per second.
//
// Also per flow: bytes → bounded jsonpb bytes by the reference (lib/flow-json.ts) and by the server's
// wire transcoder, and what the hub's aggregation and sampler compute per flow (JSON.parse + toFlowRow).
//
// Run: node --conditions=react-server --import tsx bench/codec.ts [--events 20000] [--rounds 3] [--only row]
//
// The machine may be shared: compare rows of one run with each other (the ratios), not with
// numbers of another run.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { flowToBoundedJson, getFlowsResponseToJson, parseJsonLines } from "@/lib/flow-json";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import type { JsonObject } from "@bufbuild/protobuf";
import { isPriorityFlow, toFlowRow } from "@/lib/flow-model";
import { createFlowJsonTranscoder } from "@/server/grpc/flow-json-transcoder";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";
import { encodeGetFlowsResponse } from "@/server/demo-relay/fast-encode";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    captures: { type: "string", default: "/work/shared/data/hubble-captures" },
    // "row": only the per-flow row columns (what the hub's aggregation and sampler read per flow).
    only: { type: "string", default: "" },
  },
});
const wantEvents = Number(values.events);
const rounds = Number(values.rounds);

function simulatorEvents(scenario: string, n: number): GetFlowsResponse[] {
  const epochNs = 1_760_000_000_000_000_000n;
  const rate = 10_000;
  const sim = new TrafficSimulator(loadScenario(scenario), { seed: 7, rate, epochNs });
  const out: GetFlowsResponse[] = [];
  for (let ms = 100; out.length < n; ms += 100) {
    for (const e of sim.advanceTo(epochNs + BigInt(ms) * 1_000_000n)) out.push(e.response);
  }
  return out.slice(0, n);
}

function captureEvents(dir: string): GetFlowsResponse[] {
  const out: GetFlowsResponse[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".jsonl") || f.endsWith(".json"));
  } catch {
    return out;
  }
  for (const f of files.sort()) {
    for (const line of parseJsonLines(readFileSync(join(dir, f), "utf8"))) if (line.ok) out.push(line.response);
  }
  return out;
}

/** Best of `rounds` timed passes (each at least ~0.3 s), in thousands of items per second. */
function measure(items: number, pass: () => void): number {
  pass(); // warm up
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
      pass();
      n += items;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < 0.3);
    best = Math.max(best, n / elapsed / 1000);
  }
  return best;
}

/** One timed pass over freshly made messages (nothing cached for them yet), best of `rounds`. */
function measureFresh(make: () => GetFlowsResponse[], pass: (msgs: GetFlowsResponse[]) => void): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const msgs = make();
    const t0 = process.hrtime.bigint();
    pass(msgs);
    best = Math.max(best, msgs.length / (Number(process.hrtime.bigint() - t0) / 1e9) / 1000);
  }
  return best;
}

function bench(name: string, msgs: GetFlowsResponse[], fresh: () => GetFlowsResponse[]): Record<string, number | string> {
  const bins = msgs.map((m) => toBinary(GetFlowsResponseSchema, m));
  const avgBytes = bins.reduce((s, b) => s + b.length, 0) / bins.length;
  const row: Record<string, number | string> = { set: name, n: msgs.length, avgBytes: Math.round(avgBytes) };
  let sink = 0;
  const flows: Flow[] = msgs.flatMap((m) => (m.responseTypes.case === "flow" ? [m.responseTypes.value] : []));
  const flowBins = flows.map((f) => toBinary(FlowSchema, f));
  const transcoder = createFlowJsonTranscoder();
  // What the hub's aggregation and sampler need per flow (server/hub/batch.ts parsedFlow): the
  // FlowRow and its priority, from the flow's transcoded JSON bytes.
  const jsons = flowBins.map((b) => transcoder.transcode(b)!.json);
  const text = new TextDecoder();
  row.parseRow = measure(jsons.length, () => {
    for (const j of jsons) sink += isPriorityFlow(toFlowRow(JSON.parse(text.decode(j)) as JsonObject)) ? 1 : 0;
  });
  row.parseOnly = measure(jsons.length, () => {
    for (const j of jsons) sink += (JSON.parse(text.decode(j)) as JsonObject).time === undefined ? 1 : 0;
  });
  const parsed = jsons.map((j) => JSON.parse(text.decode(j)) as JsonObject);
  row.rowOnly = measure(parsed.length, () => {
    for (const o of parsed) sink += isPriorityFlow(toFlowRow(o)) ? 1 : 0;
  });
  if (values.only === "row") return row;
  row.toBinary = measure(msgs.length, () => {
    for (const m of msgs) sink += toBinary(GetFlowsResponseSchema, m).length;
  });
  // Warm: the same messages again and again, every shared sub-message already cached.
  row.fastEncode = measure(msgs.length, () => {
    for (const m of msgs) sink += encodeGetFlowsResponse(m).length;
  });
  // First sight, as the relay encodes each ring entry once: fresh simulator events (a new
  // simulator: sub-messages are cached at their first flow), or deep clones of the captures
  // (nothing shared at all: every sub-message a cache miss, the worst case).
  row.fastFirst = measureFresh(fresh, (ms) => {
    for (const m of ms) sink += encodeGetFlowsResponse(m).length;
  });
  row.fromBinary = measure(msgs.length, () => {
    for (const b of bins) sink += fromBinary(GetFlowsResponseSchema, b).nodeName.length;
  });
  row.toJson = measure(msgs.length, () => {
    for (const m of msgs) sink += getFlowsResponseToJson(m).length;
  });
  // The server's per-flow JSON, end to end as the server does it: a Flow's protobuf bytes → its
  // bounded jsonpb as UTF-8. The reference (fromBinary + lib/flow-json.ts + JSON.stringify) and the
  // wire transcoder (server/grpc/flow-json-transcoder.ts), on the same flows.
  const utf8 = new TextEncoder();
  row.bytesRef = measure(flowBins.length, () => {
    for (const b of flowBins) sink += utf8.encode(JSON.stringify(flowToBoundedJson(fromBinary(FlowSchema, b)))).length;
  });
  row.bytesWire = measure(flowBins.length, () => {
    for (const b of flowBins) sink += transcoder.transcode(b)!.json.length;
  });
  if (sink === 42) process.stdout.write("");
  return row;
}

const captures = captureEvents(values.captures);
const sets: Array<[string, GetFlowsResponse[], () => GetFlowsResponse[]]> = [
  ["simulator shop seed 7", simulatorEvents("shop", wantEvents), () => simulatorEvents("shop", wantEvents)],
  ["simulator starwars seed 7", simulatorEvents("starwars", Math.round(wantEvents / 2)), () => simulatorEvents("starwars", Math.round(wantEvents / 2))],
  ["captures (first sight = deep clones)", captures, () => captures.map((m) => clone(GetFlowsResponseSchema, m))],
];

const rows = sets.filter(([, m]) => m.length > 0).map(([name, m, fresh]) => bench(name, m, fresh));
const fmt = (v: number | string) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : String(v));
process.stdout.write(`load: ${readFileSync("/proc/loadavg", "utf8").trim()}\n\n`);
process.stdout.write(
  "Per flow, what aggregation and the sampler read (FlowRow + priority), k flows/s:\n\n| set | JSON.parse + toFlowRow | JSON.parse alone | toFlowRow alone |\n|---|---:|---:|---:|\n",
);
for (const r of rows) {
  process.stdout.write(`| ${r.set} | ${fmt(r.parseRow)} | ${fmt(r.parseOnly)} | ${fmt(r.rowOnly)} |\n`);
}
process.stdout.write("\n");
if (values.only === "row") process.exit(0);
process.stdout.write(
  "| set | n | avg bytes | toBinary k/s | fastEncode first sight k/s | fastEncode warm k/s | first/toBinary | warm/toBinary | fromBinary k/s | toJson k/s | flow JSON: reference k/s | flow JSON: transcoder k/s | transcoder/reference |\n",
);
process.stdout.write("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
for (const r of rows) {
  const ratio = (k: string) => `${((r[k] as number) / (r.toBinary as number)).toFixed(1)}×`;
  process.stdout.write(
    `| ${r.set} | ${r.n} | ${r.avgBytes} | ${fmt(r.toBinary)} | ${fmt(r.fastFirst)} | ${fmt(r.fastEncode)} | ${ratio("fastFirst")} | ${ratio("fastEncode")} | ${fmt(r.fromBinary)} | ${fmt(r.toJson)} | ${fmt(r.bytesRef)} | ${fmt(r.bytesWire)} | ${((r.bytesWire as number) / (r.bytesRef as number)).toFixed(1)}× |\n`,
  );
}
