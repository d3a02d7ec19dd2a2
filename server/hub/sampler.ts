import "server-only";

import type { SamplingAccount } from "@/lib/sse";
import { type BatchFlow, type FlowBatch, makeBatch, parsedFlow } from "./batch";

/** Flows a browser gets per second when it asks for no budget of its own. */
export const DEFAULT_FLOW_BUDGET = 1000;
export const MAX_FLOW_BUDGET = 5000;
/** Tokens saved up at most, in seconds of budget: a short burst passes whole. */
const BURST_SECONDS = 0.5;

/**
 * One browser's flow budget (a token bucket of `budget` flows per second). A batch that fits is
 * passed on as it is (its shared frame); otherwise drops, audits, errors and L7 errors take the
 * tokens first and the forwarded flows share the rest, spread evenly over the batch. Everything
 * seen and sent is counted, so the browser can say exactly what it was not shown.
 */
export class FlowSampler {
  private tokens: number;
  private lastMs: number;
  private readonly seen = { priority: 0, forwarded: 0 };
  private readonly sent = { priority: 0, forwarded: 0 };

  constructor(
    readonly budget: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = budget * BURST_SECONDS;
    this.lastMs = now();
  }

  account(): SamplingAccount {
    return { budget: this.budget, seen: { ...this.seen }, sent: { ...this.sent } };
  }

  /** What of `batch` this browser gets; undefined for nothing. */
  take(batch: FlowBatch): FlowBatch | undefined {
    const t = this.now();
    this.tokens = Math.min(this.budget * BURST_SECONDS, this.tokens + ((t - this.lastMs) / 1000) * this.budget);
    this.lastMs = t;
    let priority = 0;
    for (const f of batch.flows) if (parsedFlow(f).priority) priority++;
    const forwarded = batch.flows.length - priority;
    this.seen.priority += priority;
    this.seen.forwarded += forwarded;
    const room = Math.floor(this.tokens);
    if (batch.flows.length <= room) {
      this.tokens -= batch.flows.length;
      this.sent.priority += priority;
      this.sent.forwarded += forwarded;
      return batch;
    }
    const takePriority = Math.min(priority, room);
    const takeForwarded = Math.min(forwarded, room - takePriority);
    const kept: BatchFlow[] = [];
    let p = 0;
    let f = 0;
    for (const flow of batch.flows) {
      if (parsedFlow(flow).priority) {
        if (p++ < takePriority) kept.push(flow);
      } else {
        // The f-th forwarded flow is kept when it crosses the next multiple of forwarded/takeForwarded.
        if (Math.floor(((f + 1) * takeForwarded) / forwarded) > Math.floor((f * takeForwarded) / forwarded)) kept.push(flow);
        f++;
      }
    }
    this.tokens -= kept.length;
    this.sent.priority += takePriority;
    this.sent.forwarded += takeForwarded;
    return kept.length > 0 ? makeBatch(kept) : undefined;
  }
}
