import "server-only";

import type { Endpoint } from "@/proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { timestampToNs, type EpochNs } from "@/lib/timestamp";
import { RingBuffer } from "./ring-buffer";

/** One event as an agent's ring holds it. `encoded` caches the wire bytes of `response`. */
export interface RingEntry {
  readonly timeNs: EpochNs;
  readonly response: GetFlowsResponse;
  readonly isLost: boolean;
  encoded?: Uint8Array;
}

export interface SimulatedNode {
  readonly name: string;
  /** The agent's hubble address, ip:4244. */
  readonly address: string;
}

export interface NodeAgent extends SimulatedNode {
  readonly ring: RingBuffer<RingEntry>;
  /** Flows (not lost events) ever written to this node's ring. */
  seenFlows: number;
  readonly startedAtNs: EpochNs;
}

const NAMESPACE_WINDOW_NS = 3600n * 1_000_000_000n;
const RATE_WINDOW_S = 60;

/**
 * The simulated cluster behind the demo relay: one ring buffer per node, as each cilium-agent has,
 * plus what the agents track on the side (namespaces seen in the last hour, the flow rate).
 * Feeders (the traffic simulator, a capture replay) append; GetFlows sessions read.
 */
export class DemoCluster {
  readonly nodes: NodeAgent[] = [];
  private readonly byName = new Map<string, NodeAgent>();
  private readonly namespaces = new Map<string, { cluster: string; namespace: string; lastNs: EpochNs }>();
  private readonly perSecond = new Map<number, number>();
  private readonly endpointKeys = new WeakMap<Endpoint, string>();
  private waiters: Array<() => void> = [];

  constructor(
    readonly bufferCapacity: number,
    private readonly now: () => EpochNs,
  ) {}

  get nodeNames(): string[] {
    return this.nodes.map((n) => n.name);
  }

  addNode(node: SimulatedNode): NodeAgent {
    const existing = this.byName.get(node.name);
    if (existing) return existing;
    const agent: NodeAgent = {
      ...node,
      ring: new RingBuffer<RingEntry>(this.bufferCapacity),
      seenFlows: 0,
      startedAtNs: this.now(),
    };
    this.nodes.push(agent);
    this.byName.set(node.name, agent);
    return agent;
  }

  node(name: string): NodeAgent | undefined {
    return this.byName.get(name);
  }

  /** Appends events; wakes every waiting reader once per call. */
  append(events: Iterable<{ nodeName: string; response: GetFlowsResponse }>): void {
    let any = false;
    // Like the agents, namespaces and the rate are tracked by when a flow was seen, not by its own
    // timestamp, so a replayed old capture still lists its namespaces.
    const seenAt = this.now();
    let flows = 0;
    let node: NodeAgent | undefined;
    for (const { nodeName, response } of events) {
      if (node?.name !== nodeName) node = this.byName.get(nodeName) ?? this.addNode({ name: nodeName, address: "" });
      const isLost = response.responseTypes.case === "lostEvents";
      const timeNs = timestampToNs(response.time);
      node.ring.push({ timeNs, response, isLost });
      if (!isLost) {
        node.seenFlows++;
        if (this.track(response, seenAt)) flows++;
      }
      any = true;
    }
    if (flows > 0) {
      const second = Math.floor(Number(seenAt / 1_000_000_000n));
      this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + flows);
    }
    if (any) this.wake();
  }

  /** Resolves on the next append, or when the signal aborts. */
  waitForData(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        // An aborted reader must not stay queued: a quiet cluster (a finished replay) never wakes.
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Readers blocked in `waitForData`, for tests and diagnostics. */
  get waitingReaders(): number {
    return this.waiters.length;
  }

  /** Namespaces seen as a flow's source or destination within the last hour, sorted as Hubble sorts them. */
  recentNamespaces(): Array<{ cluster: string; namespace: string }> {
    const cutoff = this.now() - NAMESPACE_WINDOW_NS;
    const out: Array<{ cluster: string; namespace: string }> = [];
    for (const [key, entry] of this.namespaces) {
      if (entry.lastNs < cutoff) this.namespaces.delete(key);
      else out.push({ cluster: entry.cluster, namespace: entry.namespace });
    }
    return out.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace));
  }

  /** Flows per second over the last minute, as the agents report `flows_rate`. */
  flowsRate(): number {
    const nowS = Math.floor(Number(this.now() / 1_000_000_000n));
    let total = 0;
    for (const [second, count] of this.perSecond) {
      if (second <= nowS - RATE_WINDOW_S) this.perSecond.delete(second);
      else if (second <= nowS) total += count;
    }
    return total / RATE_WINDOW_S;
  }

  /** Notes the flow's namespaces; true if it is a flow (counted in the rate by the caller). */
  private track(response: GetFlowsResponse, seenAt: EpochNs): boolean {
    if (response.responseTypes.case !== "flow") return false;
    const flow = response.responseTypes.value;
    this.trackEndpoint(flow.source, seenAt);
    this.trackEndpoint(flow.destination, seenAt);
    return true;
  }

  private trackEndpoint(ep: Endpoint | undefined, seenAt: EpochNs): void {
    if (!ep?.namespace) return;
    // Endpoints are shared between flows: the map key is built once per Endpoint object.
    let key = this.endpointKeys.get(ep);
    if (key === undefined) {
      key = `${ep.clusterName}/${ep.namespace}`;
      this.endpointKeys.set(ep, key);
    }
    const entry = this.namespaces.get(key);
    if (entry) {
      entry.lastNs = seenAt;
    } else {
      this.namespaces.set(key, { cluster: ep.clusterName, namespace: ep.namespace, lastNs: seenAt });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
