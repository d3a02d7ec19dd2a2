// Test-only: builders of what `GET /api/status` answers (lib/api/status.ts), for the top bar's
// component tests. A healthy two-node relay by default; each test changes the part it is about.
import type { HistoryStatusView, NodeStatusView, RelayStatusView } from "@/lib/api/status";

export const RELAY_ADDRESS = "hubble-relay.kube-system.svc:80";

export function nodeStatus(name: string, change: Partial<NodeStatusView> = {}): NodeStatusView {
  return {
    name,
    state: "NODE_CONNECTED",
    address: `10.0.0.${name.length}:4244`,
    version: "1.16.0",
    numFlows: 4095,
    maxFlows: 4095,
    seenFlows: 90_000,
    uptimeSeconds: 3600,
    ...change,
  };
}

export interface StatusChange {
  readonly relay?: Partial<RelayStatusView["relay"]>;
  readonly nodes?: Partial<RelayStatusView["nodes"]>;
  readonly flows?: Partial<RelayStatusView["flows"]>;
  readonly history?: HistoryStatusView;
}

export function relayStatus(change: StatusChange = {}): RelayStatusView {
  return {
    relay: {
      address: RELAY_ADDRESS,
      demo: false,
      reachable: true,
      version: "1.16.0",
      checkedAt: new Date().toISOString(),
      outages: { count: 0, totalSeconds: 0 },
      ...change.relay,
    },
    nodes: { connected: 2, unavailable: 0, unavailableNames: [], list: [nodeStatus("node-a"), nodeStatus("node-b")], ...change.nodes },
    flows: { rate: 42, numFlows: 8190, maxFlows: 8190, seenFlows: 180_000, bufferFill: 1, bufferAgeSeconds: 600, ...change.flows },
    ...(change.history ? { history: change.history } : {}),
  };
}

export function historyStatus(change: Partial<HistoryStatusView> = {}): HistoryStatusView {
  return {
    mode: "record",
    keep: "all",
    store: "sqlite",
    flows: 1_000_000,
    bytes: 250e6,
    retention: { maxAgeSeconds: 7 * 86400, maxBytes: 1e9 },
    recorder: { state: "live", received: 1_000_000, written: 1_000_000, duplicates: 0, lostEvents: 0, pending: 0, lagSeconds: 2, behind: false },
    ...change,
  };
}
