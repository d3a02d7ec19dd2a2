// What `GET /api/status` answers: the relay, its nodes, the flows in its buffers and, when history
// is on, how far back it reaches. Written by server/status-monitor.ts, read by components/top-bar.
// The server's own types (server/flow-store, server/relay-outages) must stay assignable to these:
// the status monitor builds a RelayStatusView from them, so a change there that breaks this shape
// fails the typecheck.

import type { ApiErrorCode } from "./errors";

export interface NodeStatusView {
  readonly name: string;
  readonly state: string;
  readonly address: string;
  readonly version: string;
  readonly numFlows: number;
  readonly maxFlows: number;
  readonly seenFlows: number;
  readonly uptimeSeconds: number;
}

/** The relay outages the live streams went through; overlapping outages count once. */
export interface RelayOutageSummary {
  /** Outages since the server started. */
  readonly count: number;
  /** Their total length. */
  readonly totalSeconds: number;
  readonly last?: { readonly from: string; readonly to: string; readonly seconds: number };
}

/** What `/api/status` says about flow history. */
export interface HistoryStatusView {
  readonly mode: "record" | "read" | "off";
  readonly keep: "all" | "rollup";
  readonly store: "sqlite" | "clickhouse";
  /** The oldest flow or count kept: how far back a window reaches. */
  readonly reachesBack?: string;
  readonly newest?: string;
  readonly flows: number;
  readonly bytes: number;
  readonly retention: { readonly maxAgeSeconds: number; readonly maxBytes: number };
  readonly recorder?: {
    readonly state: "connecting" | "live" | "reconnecting" | "failed" | "stopped" | "starting";
    readonly received: number;
    readonly written: number;
    readonly duplicates: number;
    readonly lostEvents: number;
    readonly pending: number;
    /** Seconds between now and the newest flow written. */
    readonly lagSeconds?: number;
    /** The store does not keep up (a backlog, or failing writes). */
    readonly behind: boolean;
    readonly lastError?: string;
  };
  readonly error?: string;
}

/** What `GET /api/status` answers. */
export interface RelayStatusView {
  readonly relay: {
    readonly address: string;
    readonly demo: boolean;
    readonly reachable: boolean;
    readonly version: string;
    readonly error?: { readonly code: ApiErrorCode; readonly message: string };
    readonly checkedAt: string;
    /** Times the live streams lost the relay and found it again: flows from them may be missing. */
    readonly outages: RelayOutageSummary;
  };
  readonly nodes: {
    readonly connected: number;
    readonly unavailable: number;
    readonly unavailableNames: readonly string[];
    readonly list: readonly NodeStatusView[];
  };
  readonly flows: {
    /** Flows per second over the last minute, summed over nodes. */
    readonly rate: number;
    readonly numFlows: number;
    readonly maxFlows: number;
    readonly seenFlows: number;
    /** numFlows / maxFlows, 0..1. */
    readonly bufferFill: number;
    /** The oldest flow the relay's buffers still hold, and how long ago that was. */
    readonly oldestFlowTime?: string;
    readonly bufferAgeSeconds?: number;
  };
  /** Flow history: how far back it reaches, and whether the recorder keeps up. Absent when off. */
  readonly history?: HistoryStatusView;
}
