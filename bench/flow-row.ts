// Micro benchmark of what the hub computes per flow for the aggregation and the sampler (the
// FlowRow and its priority, server/hub/batch.ts `parsedFlow`): from the flow's transcoded JSON
// (JSON.parse + toFlowRow, the path before) and straight from its protobuf bytes (rowFromWire,
// server/grpc/flow-row-wire.ts), on the same flows of the demo's `large` scenario.
//
// CPU per flow (process.cpuUsage: every thread, so the garbage collector's helpers count too) and
// wall time per flow, in rounds that alternate which path goes first; medians, and their ratio.
//
// Run: nice -n 19 node --conditions=react-server --import tsx bench/flow-row.ts [--flows 100000] [--rounds 7] [--scenario large]
//
// The machine may be shared: the ratio of one run is what to compare, not the absolute numbers.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { toBinary } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { isPriorityFlow, toFlowRow } from "@/lib/flow-model";
import { createFlowJsonTranscoder } from "@/server/grpc/flow-json-transcoder";
import { rowFromWire } from "@/server/grpc/flow-row-wire";
import type { WireFlow } from "@/server/grpc/raw-flows";
import { loadScenario } from "@/server/demo-relay/scenario";
import { TrafficSimulator } from "@/server/demo-relay/simulator";

const { values } = parseArgs({
  options: {
    flows: { type: "string", default: "100000" },
    rounds: { type: "string", default: "7" },
    scenario: { type: "string", default: "large" },
  },
});
const wanted = Number(values.flows);
const rounds = Number(values.rounds);

/** The scenario's flows as the hub gets them: wire record (bytes, uuid, time) and transcoded JSON. */
function demoFlows(scenario: string, n: number): WireFlow[] {
  const epochNs = 1_760_000_000_000_000_000n;
  const sim = new TrafficSimulator(loadScenario(scenario), { seed: 7, rate: 20_000, epochNs });
  const transcoder = createFlowJsonTranscoder();
  const out: WireFlow[] = [];
  for (let ms = 100; out.length < n; ms += 100) {
    for (const e of sim.advanceTo(epochNs + BigInt(ms) * 1_000_000n)) {
      if (e.response.responseTypes.case !== "flow" || out.length >= n) continue;
      const bytes = toBinary(FlowSchema, e.response.responseTypes.value);
      const t = transcoder.transcode(bytes);
      if (!t) throw new Error("the transcoder declined a demo flow");
      out.push({ bytes, json: t.json.slice(), uuid: t.uuid, time: t.time });
    }
  }
  return out;
}

const flows = demoFlows(values.scenario, wanted);
const text = new TextDecoder();
let sink = 0;

const paths: Record<string, () => void> = {
  "JSON.parse + toFlowRow": () => {
    for (const f of flows) sink += isPriorityFlow(toFlowRow(JSON.parse(text.decode(f.json!)) as JsonObject)) ? 1 : 0;
  },
  rowFromWire: () => {
    for (const f of flows) {
      const row = rowFromWire(f);
      if (!row) throw new Error("rowFromWire declined a demo flow");
      sink += isPriorityFlow(row) ? 1 : 0;
    }
  },
};
const names = Object.keys(paths);

/** CPU and wall ns per flow of one pass. */
function pass(name: string): { cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  paths[name]();
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: ((cpu.user + cpu.system) * 1000) / flows.length, wall: wall / flows.length };
}

for (const name of names) pass(name); // warm up
const samples: Record<string, { cpu: number[]; wall: number[] }> = Object.fromEntries(names.map((n) => [n, { cpu: [], wall: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 === 0 ? names : [...names].reverse()) {
    const s = pass(name);
    samples[name].cpu.push(s.cpu);
    samples[name].wall.push(s.wall);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const avgBytes = flows.reduce((s, f) => s + f.bytes.length, 0) / flows.length;
const avgJson = flows.reduce((s, f) => s + f.json!.length, 0) / flows.length;
process.stdout.write(`load: ${readFileSync("/proc/loadavg", "utf8").trim()}\n`);
process.stdout.write(
  `${flows.length} flows of the ${values.scenario} demo (avg ${Math.round(avgBytes)} protobuf bytes, ${Math.round(avgJson)} JSON bytes), ${rounds} interleaved rounds, medians:\n\n`,
);
process.stdout.write("| path | CPU ns/flow | wall ns/flow |\n|---|---:|---:|\n");
for (const name of names) process.stdout.write(`| ${name} | ${median(samples[name].cpu).toFixed(0)} | ${median(samples[name].wall).toFixed(0)} |\n`);
const [json, wire] = names.map((n) => median(samples[n].cpu));
const [jsonWall, wireWall] = names.map((n) => median(samples[n].wall));
process.stdout.write(`\nrowFromWire: ${(json / wire).toFixed(1)}× less CPU per flow, ${(jsonWall / wireWall).toFixed(1)}× less wall time (sink ${sink % 10})\n`);
