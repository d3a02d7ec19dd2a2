import "server-only";

import type { EpochNs } from "@/lib/timestamp";
import type { DemoCluster } from "./cluster";
import type { TrafficSimulator } from "./simulator";

const TICK_MS = 50;

/** Drives the traffic simulator with the wall clock and appends what it emits to the cluster's rings. */
export class SimulationFeeder {
  private timer: NodeJS.Timeout | undefined;

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
    this.cluster.append(this.simulator.advanceTo(this.now()));
  }
}
