"use client";

import type { JsonObject } from "@bufbuild/protobuf";
import { EventSource as FetchEventSource } from "eventsource";
import type { FlowQuery } from "@/lib/filter-model";
import { FlowBuffer, type FlowBufferSnapshot } from "@/lib/flow-buffer";
import { type SavedFlowsRead, savedFlowsRead, snapshotFlows } from "@/lib/investigation";
import type { DropGroups } from "@/lib/drops";
import { applyMapFrame, type MapState } from "@/lib/service-map/wire";
import { parseEventData, type RelayStateView, type SamplingAccount, type StreamEvent } from "@/lib/sse";
import { api } from "@/lib/api/client";
import { addLost, addMissed, NO_GAPS, type StreamGaps } from "@/lib/stream-gaps";
import { MAX_INVESTIGATION_FLOWS } from "@/lib/api/investigations";
import { withBasePath } from "@/lib/base-path";

export interface FlowStreamState {
  readonly connection: "connecting" | "open" | "closed" | "error";
  readonly relay: RelayStateView | undefined;
  readonly nodes: { readonly connected: readonly string[]; readonly problems: readonly string[] };
  readonly command: string;
  /** What the stream could not count: flows Hubble lost, flows this page's table missed. */
  readonly gaps: StreamGaps;
  readonly errors: readonly string[];
  readonly ended: boolean;
  readonly flows: FlowBufferSnapshot;
  /** The server's map of every flow of the view (null until its first frame). */
  readonly map: MapState | null;
  /** The server's Drops view groups of every drop of the view (null until the first). */
  readonly drops: DropGroups | null;
  /** What the flow budget let through: the latest account and the one before it (for the recent rate). */
  readonly sampling: { readonly latest: SamplingAccount; readonly previous: SamplingAccount | undefined } | undefined;
  /**
   * An investigation's saved flows (openSnapshot): how their one read went, with how many lines
   * came (a referenced one's page says from it how many remain). Undefined for live flows.
   */
  readonly savedFlows: SavedFlowsRead | undefined;
}

const EVENT_NAMES: StreamEvent["type"][] = ["ready", "flows", "lost", "missed", "nodes", "relay", "error", "end", "map", "drops", "sampling"];

/**
 * Flows the browser holds at most: the server sends at most a budget per second (1,000 by
 * default) and computes the map and the Drops view from every flow itself, so this only bounds
 * the table (and what Pause and Share keep).
 */
export const FLOW_BUFFER_CAPACITY = 20_000;
/**
 * The table takes in new flows at most this often. Each take re-renders every visible row (at
 * 1,000 flows/s a frame's worth replaces the whole view), and no one reads rows that move 60
 * times a second; four takes a second keep the newest row within a quarter second.
 */
export const FLOWS_PUBLISH_MS = 250;
const MAX_ERRORS = 20;

/** What the store uses of an event stream: EventSource's open/error handlers, named events, close. */
export interface EventStream {
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(name: string, listener: (e: { data: string }) => void): void;
  close(): void;
}

/** Opens the event stream at a URL. The tests pass one that lets them play the server. */
export type OpenEventStream = (url: string) => EventStream;

/**
 * The `eventsource` package's EventSource: the standard's parsing and reconnection, read through
 * fetch. Chromium's own EventSource hands the page a whole burst of large events in one task: at
 * 20,000 flows/s of `large` (three to ten events of 3–500 kB a second) a bare page reading the
 * stream had long tasks for 3–4 % of its time with it, 0.2–0.3 % with this (docs/benchmarks.md).
 */
export const openFetchEventStream: OpenEventStream = (url) => new FetchEventSource(url);

/** Runs `fn` after `ms`; returns how to cancel it. The tests pass their own. */
export type Schedule = (fn: () => void, ms: number) => () => void;
const timeoutSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/**
 * The high-rate part of the page's state: one event stream on /api/flows and a bounded flow buffer,
 * read by React through useSyncExternalStore. New flows are taken in at most every FLOWS_PUBLISH_MS,
 * and changes are published at most once per animation frame, however fast batches arrive.
 */
export class FlowStreamStore {
  private buffer: FlowBuffer;
  private source: EventStream | undefined;
  private listeners = new Set<() => void>();
  private state: FlowStreamState;
  private scheduled = false;
  private abortSnapshot: (() => void) | undefined;
  /** Flow batches received and not yet taken into the buffer. */
  private pendingFlows: (readonly JsonObject[])[] = [];
  private pendingCount = 0;
  private cancelTake: (() => void) | undefined;
  private lastTakeMs = -Infinity;

  private readonly capacity: number;
  private readonly schedule: Schedule;
  private readonly now: () => number;
  private readonly openStream: OpenEventStream;

  /** Each option has the page's default; the tests pass a smaller buffer, their clock, their stream. */
  constructor(opts: { capacity?: number; schedule?: Schedule; now?: () => number; openStream?: OpenEventStream } = {}) {
    this.capacity = opts.capacity ?? FLOW_BUFFER_CAPACITY;
    this.schedule = opts.schedule ?? timeoutSchedule;
    this.now = opts.now ?? (() => performance.now());
    this.openStream = opts.openStream ?? openFetchEventStream;
    this.buffer = new FlowBuffer(this.capacity);
    this.state = initialState(this.buffer.snapshot);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): FlowStreamState => this.state;

  open(query: string): void {
    this.close();
    this.buffer = new FlowBuffer(this.capacity);
    this.state = initialState(this.buffer.snapshot);
    const source = this.openStream(withBasePath(`/api/flows${query ? `?${query}` : ""}`));
    this.source = source;
    source.onopen = () => this.update({ connection: "open" });
    source.onerror = () => {
      // EventSource reconnects by itself unless the server ended the stream.
      this.update({ connection: this.state.ended ? "closed" : "error" });
    };
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (e) => {
        const event = parseEventData(name, e.data);
        if (event) this.apply(event);
      });
    }
  }

  /**
   * Shows saved flows instead of the live stream (an investigation page): an investigation's
   * flows, fetched once (NDJSON, one `{"flow": …}` per line), passed through `query` like the relay would.
   */
  openSnapshot(investigationId: string, query: FlowQuery): void {
    this.close();
    // Saved flows do not stream: all of them are shown (a shared window reopens with exactly its flows).
    this.buffer = new FlowBuffer(Math.max(this.capacity, MAX_INVESTIGATION_FLOWS));
    this.state = { ...initialState(this.buffer.snapshot), savedFlows: { state: "reading" } };
    const controller = new AbortController();
    this.abortSnapshot = () => controller.abort();
    void (async () => {
      try {
        const text = await api.investigationFlows(investigationId, controller.signal);
        const result = snapshotFlows(text, query, new Date());
        this.buffer.add(result.flows);
        const errors = result.unreadable > 0 ? [`${result.unreadable} saved line(s) could not be read: ${result.problems.join("; ")}`] : [];
        this.update({ flows: this.buffer.snapshot, ended: true, connection: "closed", errors, savedFlows: savedFlowsRead(result) });
      } catch (err) {
        if (controller.signal.aborted) return;
        // A connection broken mid-answer lands here too: the lines that came are not a count.
        this.update({
          connection: "error",
          errors: [`The saved flows could not be loaded: ${err instanceof Error ? err.message : String(err)}`],
          savedFlows: { state: "failed" },
        });
      }
    })();
  }

  close(): void {
    this.cancelTake?.();
    this.cancelTake = undefined;
    this.pendingFlows = [];
    this.pendingCount = 0;
    this.source?.close();
    this.source = undefined;
    this.abortSnapshot?.();
    this.abortSnapshot = undefined;
  }

  private apply(event: StreamEvent): void {
    const s = this.state;
    switch (event.type) {
      case "ready":
        return this.update({ command: event.command, ended: false });
      case "flows":
        this.pendingFlows.push(event.flows);
        this.pendingCount += event.flows.length;
        // A hidden tab's timers may wait a minute: never hold more than the buffer would keep.
        if (this.pendingCount >= this.buffer.capacity) return this.takeFlows();
        return this.scheduleTake();
      case "lost":
        return this.update({ gaps: addLost(s.gaps, event.source, event.count, Date.now()) });
      case "missed":
        return this.update({ gaps: addMissed(s.gaps, event.count) });
      case "nodes":
        if (event.state === "NODE_CONNECTED") return this.update({ nodes: { ...s.nodes, connected: event.nodes } });
        return this.update({
          nodes: { ...s.nodes, problems: [`${event.state}: ${event.nodes.join(", ")} ${event.message ?? ""}`.trim()] },
        });
      case "relay":
        return this.update({ relay: event.state });
      case "error":
        return this.update({ errors: [...s.errors, event.message].slice(-MAX_ERRORS) });
      case "end":
        this.takeFlows(); // the flows before the end are the view's last
        this.close();
        return this.update({ ended: true, connection: "closed" });
      case "map": {
        // A delta that does not follow what is held is skipped; the server sends a full frame next.
        const next = applyMapFrame(s.map ?? undefined, event.frame);
        return next ? this.update({ map: next }) : undefined;
      }
      case "drops":
        return this.update({ drops: event.groups });
      case "sampling":
        return this.update({ sampling: { latest: event.account, previous: s.sampling?.latest } });
    }
  }

  /** Takes the pending flows into the buffer once FLOWS_PUBLISH_MS have passed since the last take. */
  private scheduleTake(): void {
    if (this.cancelTake) return;
    const wait = Math.max(0, this.lastTakeMs + FLOWS_PUBLISH_MS - this.now());
    this.cancelTake = this.schedule(() => this.takeFlows(), wait);
  }

  private takeFlows(): void {
    this.cancelTake?.();
    this.cancelTake = undefined;
    if (this.pendingFlows.length === 0) return;
    const batches = this.pendingFlows;
    this.pendingFlows = [];
    this.pendingCount = 0;
    this.lastTakeMs = this.now();
    this.buffer.add(batches.length === 1 ? batches[0] : batches.flat());
    this.update({ flows: this.buffer.snapshot });
  }

  private update(patch: Partial<FlowStreamState>): void {
    this.state = { ...this.state, ...patch };
    if (this.scheduled) return;
    this.scheduled = true;
    const publish = () => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(publish);
    else setTimeout(publish, 16);
  }
}

function initialState(flows: FlowBufferSnapshot): FlowStreamState {
  return {
    connection: "connecting",
    relay: undefined,
    nodes: { connected: [], problems: [] },
    command: "",
    gaps: NO_GAPS,
    errors: [],
    ended: false,
    flows,
    map: null,
    drops: null,
    sampling: undefined,
    savedFlows: undefined,
  };
}
