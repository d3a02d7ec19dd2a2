import "server-only";

import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import type { GetFlowsRequest, GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { create, toJsonString } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { StreamEvent } from "@/lib/sse";
import { nsToTimestamp, type EpochNs } from "@/lib/timestamp";
import { type BatchFlow, type FlowBatch, batchFlow, makeBatch, withoutSeen } from "./batch";
import { lostEvent, nodesEvent } from "./events";
import { Subscription } from "./subscription";
import { type OpenLiveFeed, SharedUpstream, type UpstreamListener } from "./upstream";

export interface HubbleFilters {
  readonly whitelist: readonly FlowFilter[];
  readonly blacklist: readonly FlowFilter[];
}

/** Runs one non-following GetFlows against the relay. */
export type QueryHistory = (req: GetFlowsRequest, signal: AbortSignal) => AsyncIterable<GetFlowsResponse>;

export interface HubOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  readonly lingerMs: number;
  readonly maxQueuedFlowFrames: number;
  /** Flows of history a live view starts with when it names no `since`, per node. */
  readonly defaultHistoryPerNode: number;
  /** Most flows one subscriber gets from history. */
  readonly maxHistoryFlows: number;
  /** Live batches held while history is fetched, at most, before they count as missed. */
  readonly maxHeldFlows: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  flushMs: 100,
  maxBatch: 500,
  lingerMs: 5000,
  maxQueuedFlowFrames: 200,
  defaultHistoryPerNode: 1000,
  maxHistoryFlows: 100_000,
  maxHeldFlows: 100_000,
};

export interface FlowSubscriptionRequest {
  readonly filters: HubbleFilters;
  readonly sinceNs?: EpochNs;
  readonly untilNs?: EpochNs;
  readonly follow: boolean;
  /** The `hubble observe` command that gives the same flows; echoed in `ready`. */
  readonly command: string;
}

export interface HubDeps {
  /** Opens the resilient following stream for one filter. */
  readonly openLive: (filters: HubbleFilters) => OpenLiveFeed;
  readonly queryHistory: QueryHistory;
}

/** Overlap, in ms, within which live flows may repeat what history already sent. */
const DEDUP_GRACE_MS = 5000;

/**
 * The stream hub: one upstream GetFlows per distinct server-side filter, shared by every browser
 * that needs it; each browser gets its own history first, then the shared live batches, with the
 * overlap between the two de-duplicated.
 */
export class FlowHub {
  private readonly upstreams = new Map<string, SharedUpstream>();
  private readonly opts: HubOptions;

  constructor(
    private readonly deps: HubDeps,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
  }

  get upstreamCount(): number {
    return this.upstreams.size;
  }

  subscribe(req: FlowSubscriptionRequest): Subscription {
    const sub = new Subscription({ maxQueuedFlowFrames: this.opts.maxQueuedFlowFrames });
    const history = new AbortController();
    sub.whenClosed(() => history.abort());
    sub.send({ type: "ready", command: req.command, follow: req.follow });

    if (!req.follow) {
      void this.sendHistory(sub, req, history.signal).then((ok) => {
        sub.send({ type: "end", reason: ok ? (req.untilNs !== undefined ? "until" : "complete") : "error" });
        sub.close();
      });
      return sub;
    }

    const key = filterKey(req.filters);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      upstream = new SharedUpstream(this.deps.openLive(req.filters), this.opts, () => this.upstreams.delete(key));
      this.upstreams.set(key, upstream);
    }
    const listener = new LiveListener(sub, this.opts.maxHeldFlows);
    const up = upstream;
    up.add(listener);
    sub.whenClosed(() => up.remove(listener));
    void this.sendHistory(sub, req, history.signal, (b) => listener.noteHistory(b)).then(() => listener.goLive());
    return sub;
  }

  /** Closes every upstream; open subscriptions get `end`. */
  shutdown(): void {
    for (const up of [...this.upstreams.values()]) up.close();
  }

  private async sendHistory(
    sub: Subscription,
    req: FlowSubscriptionRequest,
    signal: AbortSignal,
    onBatch?: (batch: FlowBatch) => void,
  ): Promise<boolean> {
    const request = create(GetFlowsRequestSchema, {
      whitelist: [...req.filters.whitelist],
      blacklist: [...req.filters.blacklist],
      follow: false,
      ...(req.sinceNs !== undefined
        ? { since: nsToTimestamp(req.sinceNs) }
        : { number: BigInt(this.opts.defaultHistoryPerNode) }),
      ...(req.untilNs !== undefined ? { until: nsToTimestamp(req.untilNs) } : {}),
    });
    let pending: BatchFlow[] = [];
    let sent = 0;
    const flush = () => {
      if (pending.length === 0) return;
      const batch = makeBatch(pending, true);
      onBatch?.(batch);
      sub.sendFlowsFrame(batch.frame, batch.flows.length);
      pending = [];
    };
    try {
      for await (const r of this.deps.queryHistory(request, signal)) {
        if (signal.aborted) return false;
        if (r.responseTypes.case === "flow") {
          if (sent >= this.opts.maxHistoryFlows) continue;
          pending.push(batchFlow(r));
          sent++;
          if (pending.length >= this.opts.maxBatch) flush();
        } else if (r.responseTypes.case === "nodeStatus") {
          const ns = r.responseTypes.value;
          // In follow mode the live upstream reports node status; only errors matter here.
          if (ns.stateChange === NodeState.NODE_ERROR) {
            flush();
            sub.send({ type: "error", code: "node-error", message: `${ns.nodeNames.join(", ")}: ${ns.message}` });
          } else if (!req.follow) {
            flush();
            sub.send(nodesEvent(ns.stateChange, ns.nodeNames, ns.message));
          }
        } else if (r.responseTypes.case === "lostEvents" && !req.follow) {
          flush(); // keep relay order: the flows before the loss go out before it
          sub.send(lostEvent(r)!);
        }
      }
      flush();
      return true;
    } catch (err) {
      flush();
      if (!signal.aborted) {
        sub.send({ type: "error", code: "relay-unavailable", message: `history unavailable: ${errorText(err)}` });
      }
      return false;
    }
  }
}

/** Holds live batches while a subscriber's history is in flight, then de-duplicates the overlap. */
class LiveListener implements UpstreamListener {
  private readonly historyKeys = new Set<string>();
  private historyNewestMs = 0;
  private held: FlowBatch[] | undefined = [];
  private heldFlows = 0;
  private heldMissed = 0;
  private graceUntilMs = 0;

  constructor(
    private readonly sub: Subscription,
    private readonly maxHeld: number,
  ) {}

  batch(batch: FlowBatch): void {
    if (this.held) {
      if (this.heldFlows + batch.flows.length > this.maxHeld) {
        this.heldMissed += batch.flows.length;
        return;
      }
      this.held.push(batch);
      this.heldFlows += batch.flows.length;
      return;
    }
    this.deliver(batch);
  }

  control(event: StreamEvent): void {
    this.sub.send(event);
    if (event.type === "end") this.sub.close();
  }

  noteHistory(batch: FlowBatch): void {
    for (const f of batch.flows) {
      this.historyKeys.add(f.key);
      if (f.timeMs > this.historyNewestMs) this.historyNewestMs = f.timeMs;
    }
  }

  goLive(): void {
    const held = this.held ?? [];
    this.held = undefined;
    // Live flows older than this may repeat history (relay output is only roughly ordered).
    this.graceUntilMs = this.historyNewestMs + DEDUP_GRACE_MS;
    if (this.heldMissed > 0) this.sub.send({ type: "missed", count: this.heldMissed });
    for (const b of held) this.deliver(b);
  }

  private deliver(batch: FlowBatch): void {
    if (this.historyKeys.size > 0) {
      let oldest = Infinity;
      for (const f of batch.flows) if (f.timeMs < oldest) oldest = f.timeMs;
      if (oldest > this.graceUntilMs) {
        this.historyKeys.clear();
      } else {
        const kept = withoutSeen(batch, this.historyKeys);
        if (kept) this.sub.sendFlowsFrame(kept.frame, kept.flows.length);
        return;
      }
    }
    this.sub.sendFlowsFrame(batch.frame, batch.flows.length);
  }
}

/** Canonical key of a server-side filter: equal filters share an upstream. */
export function filterKey(filters: HubbleFilters): string {
  const enc = (list: readonly FlowFilter[]) => list.map((f) => toJsonString(FlowFilterSchema, f)).join(",");
  return `w[${enc(filters.whitelist)}]b[${enc(filters.blacklist)}]`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
