import "server-only";

import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { nsToRfc3339, timestampToNs } from "@/lib/timestamp";
import type { RelayClient } from "@/server/relay-client/relay-client";
import { relayProblem } from "@/server/http/api-error";
import type { HistoryStatusView } from "@/server/flow-store";
import type { RelayOutageSummary, RelayStatusView } from "@/lib/api/status";

const CACHE_MS = 2000;

/** What the relay calls found: the status without the server's own outage count. */
type ProbedStatus = Omit<RelayStatusView, "relay"> & { readonly relay: Omit<RelayStatusView["relay"], "outages"> };

/**
 * Answers "what does the relay look like now" from ServerStatus, GetNodes and the oldest flow in
 * the buffers (GetFlows first=true number=1: one per node). Cached briefly so many open browsers
 * cost the relay one round of calls every couple of seconds.
 */
export class StatusMonitor {
  private cached: { at: number; value: Promise<ProbedStatus> } | undefined;

  constructor(
    private readonly client: RelayClient,
    private readonly demo: boolean,
    private readonly nowMs: () => number = Date.now,
    private readonly outages: () => RelayOutageSummary = () => ({ count: 0, totalSeconds: 0 }),
    private readonly history?: () => Promise<HistoryStatusView>,
  ) {}

  status(): Promise<RelayStatusView> {
    const now = this.nowMs();
    if (!this.cached || now - this.cached.at >= CACHE_MS) {
      const value = Promise.all([this.collect(now), this.history?.()]).then(([view, history]) => (history ? { ...view, history } : view));
      this.cached = { at: now, value };
    }
    // The outages are the server's own count and change the moment a stream is live again: read
    // at every call, never from the cache (a cached count lags a reconnect by up to CACHE_MS).
    return this.cached.value.then((view) => ({ ...view, relay: { ...view.relay, outages: this.outages() } }));
  }

  private async collect(now: number): Promise<ProbedStatus> {
    const checkedAt = new Date(now).toISOString();
    try {
      const [status, nodes, oldestNs] = await Promise.all([this.client.serverStatus(), this.client.getNodes().catch(() => undefined), this.oldestFlowNs()]);
      const numFlows = Number(status.numFlows);
      const maxFlows = Number(status.maxFlows);
      return {
        relay: { address: this.client.address, demo: this.demo, reachable: true, version: status.version, checkedAt },
        nodes: {
          connected: status.numConnectedNodes ?? 0,
          unavailable: status.numUnavailableNodes ?? 0,
          unavailableNames: status.unavailableNodes,
          list: (nodes?.nodes ?? []).map((n) => ({
            name: n.name,
            state: NodeState[n.state] ?? String(n.state),
            address: n.address,
            version: n.version,
            numFlows: Number(n.numFlows),
            maxFlows: Number(n.maxFlows),
            seenFlows: Number(n.seenFlows),
            uptimeSeconds: Math.round(Number(n.uptimeNs) / 1e9),
          })),
        },
        flows: {
          rate: status.flowsRate,
          numFlows,
          maxFlows,
          seenFlows: Number(status.seenFlows),
          bufferFill: maxFlows > 0 ? numFlows / maxFlows : 0,
          ...(oldestNs !== undefined
            ? {
                oldestFlowTime: nsToRfc3339(oldestNs),
                bufferAgeSeconds: Math.max(0, Math.round(now / 1000 - Number(oldestNs / 1_000_000n) / 1000)),
              }
            : {}),
        },
      };
    } catch (err) {
      const e = relayProblem(err);
      return {
        relay: {
          address: this.client.address,
          demo: this.demo,
          reachable: false,
          version: "",
          error: { code: e.code, message: e.message },
          checkedAt,
        },
        nodes: { connected: 0, unavailable: 0, unavailableNames: [], list: [] },
        flows: { rate: 0, numFlows: 0, maxFlows: 0, seenFlows: 0, bufferFill: 0 },
      };
    }
  }

  private async oldestFlowNs(): Promise<bigint | undefined> {
    const req = create(GetFlowsRequestSchema, { first: true, number: 1n });
    let oldest: bigint | undefined;
    const signal = AbortSignal.timeout(5000);
    try {
      for await (const r of this.client.getFlows(req, { signal })) {
        if (r.responseTypes.case !== "flow") continue;
        const t = timestampToNs(r.time);
        if (oldest === undefined || t < oldest) oldest = t;
      }
    } catch {
      // The buffer age is a nicety; ServerStatus decides reachability.
    }
    return oldest;
  }
}
