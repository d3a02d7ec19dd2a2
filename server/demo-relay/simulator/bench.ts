import "server-only";
import { loadScenario } from "../scenario/load";
import { TrafficSimulator } from "./simulator";

// Measures how many events per second advanceTo generates on one core.
// Run: node --conditions=react-server --import tsx server/demo-relay/simulator/bench.ts [scenario] [seconds]

const name = process.argv[2] ?? "shop";
const simulatedSeconds = Number(process.argv[3] ?? 20);
const rate = 50_000;
const epochNs = 1_760_000_000_000_000_000n;
const sim = new TrafficSimulator(loadScenario(name), { seed: 42, rate, epochNs });

let events = 0;
const started = process.hrtime.bigint();
for (let ms = 100; ms <= simulatedSeconds * 1000; ms += 100) {
  events += sim.advanceTo(epochNs + BigInt(ms) * 1_000_000n).length;
}
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
const perSecond = Math.round(events / elapsedS);
process.stdout.write(
  `${name}: ${events} events for ${simulatedSeconds} simulated s at rate ${rate}/s in ${elapsedS.toFixed(2)} s → ${perSecond} events/s ` +
    `(${(perSecond / rate).toFixed(1)}× real time)\n`,
);
