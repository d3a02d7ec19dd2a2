// Micro benchmark of the service map's pure parts: aggregation of N synthetic rows (300
// workloads, 1,500 edges), the streaming case (batches added while the oldest are removed), a
// snapshot, and the stable layout of the result.
//
// Run: node --conditions=react-server --import tsx bench/service-map.ts [--rows 100000] [--rounds 5]
//
// The machine may be shared: compare rows of one run with each other, not with another run's.
import { parseArgs } from "node:util";
import { ServiceMapModel } from "@/lib/service-map/aggregate";
import { MapLayout } from "@/lib/service-map/layout";
import { syntheticRows } from "@/lib/service-map/testing";

const { values } = parseArgs({ options: { rows: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" } } });
const n = Number(values.rows);
const rounds = Number(values.rounds);
const rows = syntheticRows(n + 20_000, 300, 12);
const window = rows.slice(0, n);

function time(label: string, fn: () => unknown): void {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} median ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(8)} ms   min ${ms[0].toFixed(1).padStart(8)} ms`);
}

time(`aggregate ${n.toLocaleString()} rows + snapshot`, () => {
  const m = new ServiceMapModel();
  m.add(window);
  return m.snapshot();
});

const live = new ServiceMapModel();
live.add(window);
live.snapshot();
let offset = 0;
time("stream: +1,000 rows, −1,000 oldest, snapshot", () => {
  const added = rows.slice(n + offset, n + offset + 1000);
  const removed = rows.slice(offset, offset + 1000);
  offset += 1000;
  live.add(added);
  live.remove(removed);
  return live.snapshot();
});

const snap = live.snapshot();
console.log(`  (${snap.nodes.length} nodes, ${snap.edges.length} edges)`);
time(`layout of ${snap.nodes.length} new nodes`, () => new MapLayout().update(snap, { width: 1280, height: 800 }));
const layout = new MapLayout();
layout.update(snap, { width: 1280, height: 800 });
time("layout update, nothing new", () => layout.update(snap, { width: 1280, height: 800 }));
