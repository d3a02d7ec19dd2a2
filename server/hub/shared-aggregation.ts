import "server-only";

import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import type { StreamEvent } from "@/lib/sse";
import { msToNs, nsToTimestamp } from "@/lib/timestamp";
import type { Grouping } from "@/lib/view-state";
import { type AggregationDeps, type AggregationWindow, ViewAggregation } from "./aggregation";
import { type BatchFlow, batchFlow, type FlowBatch } from "./batch";
import type { HubbleFilters, QueryHistory } from "./hub";
import type { Subscription } from "./subscription";
import type { SharedUpstream, UpstreamListener } from "./upstream";

export interface SharedAggregationOptions {
  readonly tickMs: number;
  /** How long an aggregation without viewers stays, so a reload reuses it. */
  readonly lingerMs: number;
  /** Live flows remembered while the window's history loads, to skip them when history repeats them. */
  readonly maxSeamKeys: number;
}

/** Live flows older than the newest history flow plus this may repeat history. */
const SEAM_GRACE_MS = 5000;

/**
 * One view's aggregation (filters, window, grouping) shared by every browser showing that view:
 * it loads the window's history from the relay once, takes every live flow of the shared
 * upstream, de-duplicates the seam between the two (uuid, else content key), and ticks.
 */
export class SharedAggregation implements UpstreamListener {
  readonly aggregation: ViewAggregation;
  private readonly seamKeys = new Set<string>();
  private loading = true;
  private graceUntilMs = Infinity;
  private readonly ticker: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly history = new AbortController();
  private closed = false;

  constructor(
    private readonly upstream: SharedUpstream,
    filters: HubbleFilters,
    window: AggregationWindow,
    grouping: Grouping,
    deps: AggregationDeps & { readonly queryHistory: QueryHistory },
    private readonly opts: SharedAggregationOptions,
    private readonly onClose: () => void,
  ) {
    this.aggregation = new ViewAggregation(window, grouping, deps);
    upstream.add(this);
    this.ticker = setInterval(() => this.aggregation.tick(), opts.tickMs);
    this.ticker.unref?.();
    const now = deps.now();
    const request = create(GetFlowsRequestSchema, {
      whitelist: [...filters.whitelist],
      blacklist: [...filters.blacklist],
      follow: false,
      since: nsToTimestamp(msToNs(window.kind === "sliding" ? now - window.ms : window.fromMs)),
      ...(window.kind === "fixed" && window.toMs !== undefined ? { until: nsToTimestamp(msToNs(window.toMs)) } : {}),
    });
    void this.loadHistory(deps.queryHistory, request);
  }

  attach(sub: Subscription): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.aggregation.attach(sub);
  }

  detach(sub: Subscription): void {
    this.aggregation.detach(sub);
    if (this.aggregation.viewerCount > 0 || this.lingerTimer || this.closed) return;
    this.lingerTimer = setTimeout(() => this.close(), this.opts.lingerMs);
    this.lingerTimer.unref?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    clearTimeout(this.lingerTimer);
    this.history.abort();
    this.upstream.remove(this);
    this.onClose();
  }

  batch(batch: FlowBatch): void {
    if (this.loading) {
      for (const f of batch.flows) if (this.seamKeys.size < this.opts.maxSeamKeys) this.seamKeys.add(f.key);
      this.aggregation.addFlows(batch.flows);
      return;
    }
    if (this.seamKeys.size > 0) {
      let oldest = Infinity;
      for (const f of batch.flows) if (f.timeMs < oldest) oldest = f.timeMs;
      if (oldest > this.graceUntilMs) this.seamKeys.clear();
      else {
        this.aggregation.addFlows(batch.flows.filter((f) => !this.seamKeys.has(f.key)));
        return;
      }
    }
    this.aggregation.addFlows(batch.flows);
  }

  control(event: StreamEvent): void {
    if (event.type === "end") this.close();
  }

  private async loadHistory(query: QueryHistory, request: Parameters<QueryHistory>[0]): Promise<void> {
    let newestMs = 0;
    let pending: BatchFlow[] = [];
    try {
      for await (const r of query(request, this.history.signal)) {
        if (this.closed) return;
        if (r.responseTypes.case !== "flow") continue;
        const f = batchFlow(r);
        if (this.seamKeys.has(f.key)) continue;
        this.seamKeys.add(f.key);
        if (f.timeMs > newestMs) newestMs = f.timeMs;
        pending.push(f);
        if (pending.length >= 500) {
          this.aggregation.addFlows(pending);
          pending = [];
        }
      }
    } catch {
      // The relay's history is unavailable: the window fills from live flows (viewers see the relay state).
    } finally {
      this.aggregation.addFlows(pending);
      this.loading = false;
      this.graceUntilMs = newestMs + SEAM_GRACE_MS;
      this.aggregation.tick();
    }
  }
}
