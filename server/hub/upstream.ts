import "server-only";

import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { RelayStateView, StreamEvent } from "@/lib/sse";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import { type BatchFlow, type FlowBatch, batchFlow, makeBatch } from "./batch";
import { lostEvent, nodesEvent } from "./events";

/** Where a live feed delivers. */
export interface LiveSink {
  /** A response as the relay client yields it (a flow with its JSON in `wire`). */
  response(response: RelayResponse): void;
  state(state: RelayStateView): void;
}

/** Opens a following GetFlows for one server-side filter, resilient to relay restarts. */
export type OpenLiveFeed = (sink: LiveSink) => { stop(): void };

export interface UpstreamListener {
  batch(batch: FlowBatch): void;
  control(event: StreamEvent): void;
}

export interface UpstreamOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  /** How long an upstream with no subscriber stays open, so a page reload reuses it. */
  readonly lingerMs: number;
}

/**
 * One following GetFlows shared by every subscriber with the same server-side filter. Flows are
 * converted to JSON once and batched (flushed every `flushMs` or at `maxBatch` flows), and each
 * batch is encoded once for all subscribers.
 */
export class SharedUpstream {
  private readonly listeners = new Set<UpstreamListener>();
  private pending: BatchFlow[] = [];
  private feed: { stop(): void } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lastState: RelayStateView | undefined;
  private lastNodes: StreamEvent | undefined;

  constructor(
    private readonly open: OpenLiveFeed,
    private readonly opts: UpstreamOptions,
    private readonly onIdle: () => void,
    /** Filtered in the server from a shared unfiltered relay stream (beyond the hub's cap). */
    readonly filteredHere = false,
  ) {}

  get subscriberCount(): number {
    return this.listeners.size;
  }

  get isOpen(): boolean {
    return this.feed !== undefined;
  }

  add(listener: UpstreamListener): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.listeners.add(listener);
    if (this.lastState) listener.control({ type: "relay", state: this.lastState });
    if (this.lastNodes) listener.control(this.lastNodes);
    if (!this.feed) {
      this.feed = this.open({ response: (r) => this.onResponse(r), state: (s) => this.onState(s) });
      this.flushTimer = setInterval(() => this.flush(), this.opts.flushMs);
      this.flushTimer.unref?.();
    }
  }

  remove(listener: UpstreamListener): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0 || this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.close(), this.opts.lingerMs);
    this.lingerTimer.unref?.();
  }

  close(): void {
    // On shutdown, subscribers still here must end rather than wait forever.
    if (this.listeners.size > 0) this.broadcast({ type: "end", reason: "shutdown" });
    clearTimeout(this.lingerTimer);
    clearInterval(this.flushTimer);
    this.lingerTimer = undefined;
    this.flushTimer = undefined;
    this.feed?.stop();
    this.feed = undefined;
    this.pending = [];
    this.onIdle();
  }

  private onResponse(r: RelayResponse): void {
    switch (r.responseTypes.case) {
      case "flow":
        this.pending.push(batchFlow(r));
        if (this.pending.length >= this.opts.maxBatch) this.flush();
        return;
      case "lostEvents":
        this.flush(); // keep relay order: the flows before the loss go out before it
        this.broadcast(lostEvent(r)!);
        return;
      case "nodeStatus": {
        const ns = r.responseTypes.value;
        const event = nodesEvent(ns.stateChange, ns.nodeNames, ns.message);
        if (ns.stateChange === NodeState.NODE_CONNECTED) this.lastNodes = event;
        this.flush();
        this.broadcast(event);
        return;
      }
    }
  }

  private onState(state: RelayStateView): void {
    this.lastState = state;
    this.flush();
    this.broadcast({ type: "relay", state });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = makeBatch(this.pending);
    this.pending = [];
    for (const l of this.listeners) l.batch(batch);
  }

  private broadcast(event: StreamEvent): void {
    for (const l of this.listeners) l.control(event);
  }
}
