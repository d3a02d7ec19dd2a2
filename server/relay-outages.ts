import "server-only";
import type { RelayOutageSummary } from "@/lib/api/status";
import type { RelayOutage } from "@/server/relay-client/flow-follower";

// The relay outages the live streams went through, for /api/status. Every upstream (one per
// distinct filter) has its own follower, and all of them see the same relay restart: outages that
// overlap are one outage.

/** Outages remembered for merging; older ones only count. */
const KEEP = 64;

export class RelayOutages {
  private readonly recent: { from: number; to: number }[] = [];
  private count = 0;
  private totalMs = 0;

  record(outage: RelayOutage): void {
    const from = outage.from.getTime();
    const to = outage.to.getTime();
    const overlapping = this.recent.find((o) => from <= o.to && to >= o.from);
    if (overlapping) {
      // The same outage seen by another stream: widen it.
      this.totalMs -= overlapping.to - overlapping.from;
      overlapping.from = Math.min(overlapping.from, from);
      overlapping.to = Math.max(overlapping.to, to);
      this.totalMs += overlapping.to - overlapping.from;
      return;
    }
    this.recent.push({ from, to });
    if (this.recent.length > KEEP) this.recent.shift();
    this.count += 1;
    this.totalMs += to - from;
  }

  summary(): RelayOutageSummary {
    const last = this.recent.reduce<{ from: number; to: number } | undefined>((a, o) => (a === undefined || o.to > a.to ? o : a), undefined);
    return {
      count: this.count,
      totalSeconds: round1(this.totalMs / 1000),
      ...(last ? { last: { from: new Date(last.from).toISOString(), to: new Date(last.to).toISOString(), seconds: round1((last.to - last.from) / 1000) } } : {}),
    };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
