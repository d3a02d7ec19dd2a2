import "server-only";

import type { EpochNs } from "@/lib/timestamp";
import type { DemoCluster } from "./cluster";
import type { TrafficSimulator } from "./simulator";

const TICK_MS = 50;
/**
 * Simulated time one tick may cover after the start. A machine too slow for the rate then lags
 * behind the clock (the same events, later) and serves its readers between ticks, instead of
 * building ever larger catch-up batches until it runs out of memory.
 */
const MAX_TICK_STEP_NS = 250_000_000n;
/**
 * How far the simulation may fall behind the clock. Beyond it the simulator skips to now and each
 * node reports the events it missed as lost, as a real node's observer does when it cannot keep up:
 * a cluster's flows are stamped when they happen, however busy the observer is, so the demo relay
 * must not deliver ever older flows on a machine too slow for its rate (at 20,000 flows/s beside a
 * browser on 2 cores it fell 3–5 s behind).
 */
const MAX_LAG_NS = 1_000_000_000n;

/** Drives the traffic simulator with the wall clock and appends what it emits to the cluster's rings. */
export class SimulationFeeder {
  private timer: NodeJS.Timeout | undefined;
  /** Where the simulation has been advanced to. */
  private simulatedNs: EpochNs | undefined;
  /** Events skipped (reported lost) because the simulation fell too far behind the clock. */
  lost = 0;

  constructor(
    private readonly simulator: TrafficSimulator,
    private readonly cluster: DemoCluster,
    private readonly now: () => EpochNs,
  ) {
    for (const node of simulator.nodes) cluster.addNode({ name: node.name, address: node.address });
  }

  /** Catches up from the simulation epoch to now (history), then keeps pace. */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = this.now();
    if (this.simulatedNs !== undefined && now - this.simulatedNs > MAX_LAG_NS) {
      this.lost += this.simulator.skipTo(now);
      this.simulatedNs = now;
      this.cluster.append(this.simulator.advanceTo(now));
      return;
    }
    const to = this.simulatedNs === undefined || now - this.simulatedNs <= MAX_TICK_STEP_NS ? now : this.simulatedNs + MAX_TICK_STEP_NS;
    if (this.simulatedNs !== undefined && to <= this.simulatedNs) return;
    this.simulatedNs = to;
    this.cluster.append(this.simulator.advanceTo(to));
  }
}
