import "server-only";

import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import type { GetFlowsRequest } from "@/proto/gen/observer/observer_pb";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import { create, toJsonString } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { encodeEvent, type StreamEvent } from "@/lib/sse";
import { attributeDrop, type DropAttribution } from "@/lib/drops";
import type { JsonObject } from "@bufbuild/protobuf";
import type { FlowRow } from "@/lib/flow-model";
import { ALL_NAMESPACES, accessKey, type NamespaceAccess } from "@/lib/access/scope";
import { nsToTimestamp, type EpochNs } from "@/lib/timestamp";
import { type BatchFlow, type FlowBatch, batchFlow, makeBatch, withoutSeen } from "./batch";
import { lostEvent, nodesEvent } from "./events";
import type { Grouping } from "@/lib/view-state";
import { type AggregationDeps, type AggregationWindow, ViewAggregation } from "./aggregation";
import { compileFlowFilters } from "@/lib/filters";
import { FilteredFeeds, type ResponseMatch } from "./filtered-feeds";
import { ConcurrencyGate } from "./gate";
import { DEFAULT_FLOW_BUDGET, FlowSampler } from "./sampler";
import { SharedAggregation } from "./shared-aggregation";
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_STALLED_READER_MS, Subscription } from "./subscription";
import { type OpenLiveFeed, SharedUpstream, type UpstreamListener } from "./upstream";

export interface HubbleFilters {
  readonly whitelist: readonly FlowFilter[];
  readonly blacklist: readonly FlowFilter[];
}

/** Runs one non-following GetFlows against the relay. */
export type QueryHistory = (req: GetFlowsRequest, signal: AbortSignal) => AsyncIterable<RelayResponse>;

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
  /** How often the map and the Drops view are recomputed and sent (never more than twice a second). */
  readonly aggregationTickMs: number;
  /** History queries run against the relay at once; more wait their turn (a connection storm queues). */
  readonly maxConcurrentHistory: number;
  /** Distinct filters with a relay stream of their own; beyond, filtered in the server from one unfiltered stream. */
  readonly maxUpstreams: number;
  /** Most bytes of flow frames queued for one browser that reads slowly (older ones are dropped, counted as missed). */
  readonly maxQueuedBytes: number;
  /** A browser that reads nothing for this long while flows wait loses them, counted as missed (see Subscription). */
  readonly stalledReaderMs: number;
}

const MAX_HISTORY_FRAME_FLOWS = 500;

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  flushMs: 100,
  // Live batches go out every flushMs; the size bound only matters past 50,000 flows/s. A browser
  // over its budget gets one sampled frame a batch: size-triggered batches (500 at 20,000 flows/s
  // were 40 a second) made it handle four times the SSE messages for the same flows.
  maxBatch: 5000,
  lingerMs: 5000,
  maxQueuedFlowFrames: 200,
  defaultHistoryPerNode: 1000,
  maxHistoryFlows: 20_000,
  maxHeldFlows: 100_000,
  aggregationTickMs: 500,
  maxConcurrentHistory: 4,
  maxUpstreams: 32,
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  stalledReaderMs: DEFAULT_STALLED_READER_MS,
};

export interface FlowSubscriptionRequest {
  readonly filters: HubbleFilters;
  readonly sinceNs?: EpochNs;
  readonly untilNs?: EpochNs;
  readonly follow: boolean;
  /** The `hubble observe` command that gives the same flows; echoed in `ready`. */
  readonly command: string;
  /** The map's grouping (default workload). */
  readonly grouping?: Grouping;
  /** Flows per second this browser gets at most (default DEFAULT_FLOW_BUDGET); the map and drops count every flow. */
  readonly budget?: number;
  /** What the map and the Drops view cover; without it, no aggregation is sent. */
  readonly window?: AggregationWindow;
  /**
   * The namespaces the person may see. The filters already hold the restriction (server/flow-request.ts);
   * this scopes the policies drops are charged to, and keeps people with different access apart.
   */
  readonly access?: NamespaceAccess;
}

export interface HubDeps {
  /** Opens the resilient following stream for one filter. */
  readonly openLive: (filters: HubbleFilters) => OpenLiveFeed;
  readonly queryHistory: QueryHistory;
  /**
   * The policies a drop is charged to, for the Drops view and the map, among the policies `access`
   * may read; without it, only Hubble's own `*_denied_by`.
   */
  readonly attribute?: (flow: JsonObject, row: FlowRow, access: NamespaceAccess) => DropAttribution;
  readonly now?: () => number;
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
  private readonly aggregations = new Map<string, SharedAggregation>();
  private readonly opts: HubOptions;
  private readonly aggregationDeps: AggregationDeps;
  private readonly historyGate: ConcurrencyGate;
  private readonly filtered: FilteredFeeds;

  constructor(
    private readonly deps: HubDeps,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    this.historyGate = new ConcurrencyGate(this.opts.maxConcurrentHistory);
    this.filtered = new FilteredFeeds(deps.openLive({ whitelist: [], blacklist: [] }));
    this.aggregationDeps = {
      attribute: (_flow, row) => attributeDrop(row, undefined),
      now: deps.now ?? Date.now,
    };
  }

  get upstreamCount(): number {
    return this.upstreams.size;
  }

  /** Following GetFlows streams open against the relay (filters beyond the cap share one). */
  get relayStreamCount(): number {
    let n = this.filtered.open ? 1 : 0;
    for (const up of this.upstreams.values()) if (!up.filteredHere) n += up.isOpen ? 1 : 0;
    return n;
  }

  subscribe(req: FlowSubscriptionRequest): Subscription {
    const sub = new Subscription({
      maxQueuedFlowFrames: this.opts.maxQueuedFlowFrames,
      maxQueuedBytes: this.opts.maxQueuedBytes,
      stalledReaderMs: this.opts.stalledReaderMs,
    });
    const history = new AbortController();
    sub.whenClosed(() => history.abort());
    sub.send({ type: "ready", command: req.command, follow: req.follow });

    if (!req.follow) {
      // A bounded query's map and drops come from its own history, every flow of it.
      const own = req.window ? new ViewAggregation(req.window, req.grouping ?? "workload", this.depsFor(req.access)) : undefined;
      own?.attach(sub);
      const ticker = own ? setInterval(() => own.tick(), this.opts.aggregationTickMs) : undefined;
      ticker?.unref?.();
      void this.sendHistory(sub, req, history.signal, own && ((b) => own.addFlows(b.flows)), own !== undefined).then((ok) => {
        clearInterval(ticker);
        own?.tick();
        sub.send({ type: "end", reason: ok ? (req.untilNs !== undefined ? "until" : "complete") : "error" });
        sub.close();
      });
      return sub;
    }

    const key = filterKey(req.filters);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      const own = this.upstreams.size < this.opts.maxUpstreams;
      const open = own ? this.deps.openLive(req.filters) : this.filtered.feedFor(responseMatch(req.filters));
      upstream = new SharedUpstream(open, this.opts, () => this.upstreams.delete(key), !own);
      this.upstreams.set(key, upstream);
    }
    const up = upstream;
    if (req.window) {
      const grouping = req.grouping ?? "workload";
      const aggKey = `${key}|${windowKey(req.window)}|${grouping}|${accessKey(req.access ?? ALL_NAMESPACES)}`;
      let agg = this.aggregations.get(aggKey);
      if (!agg) {
        agg = new SharedAggregation(
          up,
          req.filters,
          req.window,
          grouping,
          { ...this.depsFor(req.access), queryHistory: this.deps.queryHistory },
          { tickMs: this.opts.aggregationTickMs, lingerMs: this.opts.lingerMs, maxSeamKeys: this.opts.maxHeldFlows },
          () => this.aggregations.delete(aggKey),
        );
        this.aggregations.set(aggKey, agg);
      }
      const shared = agg;
      shared.attach(sub);
      sub.whenClosed(() => shared.detach(sub));
    }
    const listener = new LiveListener(sub, this.opts.maxHeldFlows, new FlowSampler(req.budget ?? DEFAULT_FLOW_BUDGET, this.aggregationDeps.now));
    up.add(listener);
    sub.whenClosed(() => up.remove(listener));
    void this.sendHistory(sub, req, history.signal, (b) => listener.noteHistory(b)).then(() => listener.goLive());
    return sub;
  }

  private depsFor(access: NamespaceAccess = ALL_NAMESPACES): AggregationDeps {
    const attribute = this.deps.attribute;
    if (!attribute) return this.aggregationDeps;
    return { ...this.aggregationDeps, attribute: (flow, row) => attribute(flow, row, access) };
  }

  /** Closes every upstream; open subscriptions get `end`. */
  shutdown(): void {
    for (const agg of [...this.aggregations.values()]) agg.close();
    for (const up of [...this.upstreams.values()]) up.close();
  }

  /**
   * The view's history for the browser. A following view gets the newest flows: the last N per
   * node (as `--last N`), those older than its `since` left out — its map and Drops view count the
   * whole window anyway. A bounded query gets its window from the start, up to `maxHistoryFlows`.
   * `onBatch` sees every batch sent, or with `everyFlow`, every flow of the window.
   */
  private async sendHistory(sub: Subscription, req: FlowSubscriptionRequest, signal: AbortSignal, onBatch?: (batch: FlowBatch) => void, everyFlow = false): Promise<boolean> {
    const newest = req.follow;
    const request = create(GetFlowsRequestSchema, {
      whitelist: [...req.filters.whitelist],
      blacklist: [...req.filters.blacklist],
      follow: false,
      ...(req.sinceNs !== undefined && !newest ? { since: nsToTimestamp(req.sinceNs) } : { number: BigInt(this.opts.defaultHistoryPerNode) }),
      ...(req.untilNs !== undefined ? { until: nsToTimestamp(req.untilNs) } : {}),
    });
    const sinceMs = req.sinceNs !== undefined && newest ? Number(req.sinceNs / 1_000_000n) : -Infinity;
    let release: () => void;
    try {
      release = await this.historyGate.acquire(signal);
    } catch {
      return false;
    }
    let pending: BatchFlow[] = [];
    let all: BatchFlow[] = [];
    let sent = 0;
    // History comes as fast as the relay reads it: frames of at most 500 flows, each one JSON.parse in the page.
    const historyBatch = Math.min(this.opts.maxBatch, MAX_HISTORY_FRAME_FLOWS);
    const flush = () => {
      if (everyFlow && all.length > 0) {
        onBatch?.({ flows: all, frame: EMPTY_FRAME });
        all = [];
      }
      if (pending.length === 0) return;
      const batch = makeBatch(pending, true);
      if (!everyFlow) onBatch?.(batch);
      sub.sendFlowsFrame(batch.frame, batch.flows.length);
      pending = [];
    };
    try {
      for await (const r of this.deps.queryHistory(request, signal)) {
        if (signal.aborted) return false;
        if (r.responseTypes.case === "flow") {
          const f = batchFlow(r);
          if (f.timeMs < sinceMs) continue;
          if (everyFlow) all.push(f);
          if (sent < this.opts.maxHistoryFlows) {
            pending.push(f);
            sent++;
          }
          if (pending.length >= historyBatch || all.length >= historyBatch) flush();
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
    } finally {
      release();
    }
  }
}

const EMPTY_FRAME = new Uint8Array(0);

/** The hub's filters as a predicate over flow responses (decodes the Flow: only for feeds beyond the cap). */
function responseMatch(filters: HubbleFilters): ResponseMatch {
  const match = compileFlowFilters(filters.whitelist, filters.blacklist);
  return (r) => r.responseTypes.case === "flow" && match(r.responseTypes.value);
}

function windowKey(w: AggregationWindow): string {
  return w.kind === "sliding" ? `sliding:${w.ms}` : `fixed:${w.fromMs}:${w.toMs ?? ""}`;
}

/** Holds live batches while a subscriber's history is in flight, then de-duplicates the overlap. */
class LiveListener implements UpstreamListener {
  private readonly historyKeys = new Set<string>();
  private historyNewestMs = 0;
  private held: FlowBatch[] | undefined = [];
  private heldFlows = 0;
  private heldMissed = 0;
  private graceUntilMs = 0;

  private lastAccountMs = 0;

  constructor(
    private readonly sub: Subscription,
    private readonly maxHeld: number,
    private readonly sampler: FlowSampler,
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
    if (this.heldMissed > 0) {
      this.sub.missedTotal += this.heldMissed;
      this.sub.send({ type: "missed", count: this.heldMissed });
    }
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
        if (kept) this.send(kept);
        return;
      }
    }
    this.send(batch);
  }

  /** Through the browser's budget; what it let through is reported at most once a second. */
  private send(batch: FlowBatch): void {
    const taken = this.sampler.take(batch);
    if (taken) this.sub.sendFlowsFrame(taken.frame, taken.flows.length);
    const now = Date.now();
    if (now - this.lastAccountMs >= 1000) {
      this.lastAccountMs = now;
      this.sub.sendLatest("sampling", utf8.encode(encodeEvent({ type: "sampling", account: this.sampler.account() })));
    }
  }
}

/** Canonical key of a server-side filter: equal filters share an upstream. */
export function filterKey(filters: HubbleFilters): string {
  const enc = (list: readonly FlowFilter[]) => list.map((f) => toJsonString(FlowFilterSchema, f)).join(",");
  return `w[${enc(filters.whitelist)}]b[${enc(filters.blacklist)}]`;
}

const utf8 = new TextEncoder();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
