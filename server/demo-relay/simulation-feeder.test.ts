import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EpochNs } from "@/lib/timestamp";
import { DemoCluster, type NodeAgent, type RingEntry } from "./cluster";
import { loadScenario } from "./scenario/load";
import { SimulationFeeder } from "./simulation-feeder";
import { TrafficSimulator } from "./simulator";

const EPOCH = 1_760_000_000_000_000_000n;
const SECOND = 1_000_000_000n;

function entries(node: NodeAgent): RingEntry[] {
  const out: RingEntry[] = [];
  for (let seq = node.ring.oldestSeq; seq < node.ring.writeSeq; seq++) out.push(node.ring.at(seq)!);
  return out;
}

/** A feeder on a clock the test moves; each start() ticks once (its interval is stopped at once). */
function feederAt(rate: number) {
  let clock = EPOCH + 2n * SECOND;
  const now = () => clock as EpochNs;
  const cluster = new DemoCluster(65_535, now);
  const feeder = new SimulationFeeder(new TrafficSimulator(loadScenario("shop"), { seed: 4, rate, epochNs: EPOCH }), cluster, now);
  const tick = () => {
    feeder.start();
    feeder.stop();
  };
  const newestFlowNs = () => {
    let newest = 0n;
    for (const node of cluster.nodes) for (const e of entries(node)) if (!e.isLost && e.timeNs > newest) newest = e.timeNs;
    return newest;
  };
  const lostReported = () => {
    let n = 0;
    for (const node of cluster.nodes)
      for (const e of entries(node)) if (e.isLost && e.response.responseTypes.case === "lostEvents") n += Number(e.response.responseTypes.value.numEventsLost);
    return n;
  };
  return { feeder, cluster, tick, newestFlowNs, lostReported, advance: (ns: bigint) => (clock += ns), now };
}

describe("SimulationFeeder", () => {
  it("catches up a short stall a step at a time, losing nothing", () => {
    const f = feederAt(2000);
    f.tick();
    const lostBefore = f.lostReported();
    f.advance(800_000_000n);
    f.tick();
    // One tick covers at most 250 ms of simulated time: still behind, but nothing skipped.
    assert.ok(f.now() - f.newestFlowNs() >= 500_000_000n, "one tick advanced by one step only");
    for (let i = 0; i < 4; i++) f.tick();
    assert.ok(f.now() - f.newestFlowNs() < 100_000_000n, "caught up in steps");
    assert.equal(f.feeder.lost, 0);
    assert.equal(f.lostReported(), lostBefore, "no lost events beyond the scenario's own");
  });

  it("skips a stall longer than a second to the clock, and every node reports what it missed as lost", () => {
    const f = feederAt(2000);
    f.tick();
    const lostBefore = f.lostReported();
    f.advance(3n * SECOND);
    f.tick();
    // Stamped when they happen: the newest flow is at the clock, not 3 s behind it.
    assert.ok(f.now() - f.newestFlowNs() < 100_000_000n, `newest flow ${Number(f.now() - f.newestFlowNs()) / 1e9} s behind the clock`);
    assert.ok(f.feeder.lost > 4000 && f.feeder.lost < 8000, `${f.feeder.lost} events skipped in 3 s at 2,000/s`);
    assert.equal(f.lostReported() - lostBefore, f.feeder.lost, "what was skipped is what the nodes report lost");
  });
});
