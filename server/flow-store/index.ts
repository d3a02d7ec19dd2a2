import "server-only";

import type { GetFlowsRequest } from "@/proto/gen/observer/observer_pb";
import type { Grouping } from "@/lib/view-state";
import type { HistoryStatusView } from "@/lib/api/status";
import type { HistorySettings } from "@/server/config/env";
import type { AggregationWindow, StoredWindowCounts } from "@/server/hub/aggregation";
import type { HubbleFilters } from "@/server/hub/hub";
import { log } from "@/server/log";
import type { FollowerState } from "@/server/relay-client/flow-follower";
import type { FlowSource, GetFlowsOptions, RelayConnection, RelayResponse } from "@/server/relay-client/relay-client";
import { historyBackedQuery, type QueryFlows } from "./history-query";
import { openFlowStore } from "./open";
import { FlowRecorder } from "./recorder";
import { type RecorderHandle, startRecorderThread } from "./recorder-in-thread";
import type { FlowStore, KeepMode } from "./store";
import { storedWindowCounts } from "./window-counts";

// Flow history as the runtime wires it: the store (SQLite in the data directory, or ClickHouse),
// the recorder when this replica records, the window query that reaches back into the store, and
// the status /api/status and /metrics show. See README.md.

export type { FlowStore } from "./store";
export type { QueryFlows } from "./history-query";

export type { HistoryStatusView } from "@/lib/api/status";

/** How far the history reaches, for deciding whether a window can be referred to instead of copied. */
export interface HistoryCoverage {
  readonly keep: KeepMode;
  /** The oldest flow or count kept; null when empty. */
  readonly oldestNs: bigint | null;
  /** The newest flow time written (by this replica's recorder, or read from the shared store); null before the first. */
  readonly newestWrittenNs: bigint | null;
  /** The recorder says its writes do not keep up (a backlog, or failing writes). */
  readonly behind: boolean;
}

export interface FlowHistory {
  readonly store: FlowStore;
  readonly recorder: RecorderHandle | undefined;
  /** `relay` extended back into the store (non-following GetFlows with a `since`). */
  query(relay: QueryFlows): QueryFlows;
  /** `relay` as a FlowSource whose bounded queries reach back into the store. */
  source(relay: FlowSource): FlowSource;
  status(): Promise<HistoryStatusView>;
  /**
   * How far the store reaches. `fresh` reads the store now (a save decides by it); otherwise the
   * usage /api/status shows, at most 10 s old, serves (opening an investigation).
   */
  coverage(fresh?: boolean): Promise<HistoryCoverage>;
  /** The part of a view's window the map counts from the store's per-minute counts (window-counts.ts). */
  windowCounts(window: AggregationWindow, filters: HubbleFilters, grouping: Grouping): StoredWindowCounts | undefined;
  close(): Promise<void>;
}

export interface FlowHistoryDeps {
  /**
   * The relay the recorder follows: a connection, which the recorder opens on a thread of its own
   * (flows without their JSON), or a source to follow on this thread (tests).
   */
  readonly relay: RelayConnection | FlowSource;
  readonly dataDir: string;
  readonly now?: () => number;
  readonly onWrite?: (flows: number, duplicates: number, seconds: number) => void;
  /** The recorder's follower state, for the relay stream metrics. */
  readonly onRecorderState?: (state: FollowerState) => void;
}

const USAGE_CACHE_MS = 10_000;
/** An empty reading is read again after this once flows are written (see cachedUsage). */
const USAGE_REREAD_MS = 500;

/** Opens the store and starts recording, as configured; undefined when history is off. */
export async function openFlowHistory(settings: HistorySettings, deps: FlowHistoryDeps): Promise<FlowHistory | undefined> {
  if (settings.mode === "off") return undefined;
  // Opened here first: the store's schema exists before the recorder's thread connects to it.
  const store = await openFlowStore(settings, deps.dataDir);
  const now = deps.now ?? Date.now;
  const recorder = settings.mode === "record" ? await startRecorder(settings, deps, store, now) : undefined;
  // A reading replica learns the newest written flow from the store (another replica writes it).
  let readerNewest: bigint | null = await store.newestTimeNs();
  const refresh = recorder
    ? undefined
    : setInterval(() => {
        store.newestTimeNs().then(
          (n) => (readerNewest = n),
          () => undefined,
        );
      }, 2000);
  refresh?.unref?.();
  const newestWrittenNs = () => (recorder ? (recorder.status.newestMs === null ? null : BigInt(recorder.status.newestMs) * 1_000_000n) : readerNewest);

  // The store's usage (SQLite: a few aggregates; ClickHouse: counts and minimums over the tables)
  // is cached for /api/status. A read taken while nothing was written yet is read again as soon
  // as the recorder (or, reading, the shared store) has written: right after a start on an empty
  // store the recorder writes the relay's buffers within seconds, and the status showed 0 flows
  // for the rest of the 10 s.
  let usage: { at: number; writtenAt: bigint | null; value: Promise<Awaited<ReturnType<FlowStore["usage"]>>> } | undefined;
  const readUsage = () => {
    usage = { at: now(), writtenAt: newestWrittenNs(), value: store.usage() };
    return usage.value;
  };
  const cachedUsage = () => {
    const t = now();
    if (!usage || t - usage.at > USAGE_CACHE_MS) return readUsage();
    if (usage.writtenAt === null && newestWrittenNs() !== null && t - usage.at >= USAGE_REREAD_MS) return readUsage();
    return usage.value;
  };

  return {
    store,
    recorder,
    query: (relay) => historyBackedQuery(relay, { store, newestWrittenNs, keep: settings.keep }),
    // Only `rollup` needs them: with every flow kept, the flows count the map exactly and carry
    // more (replies, encryption, authentication) than a count.
    windowCounts: (window, filters, grouping) => (settings.keep === "rollup" ? storedWindowCounts({ store, newestWrittenNs }, window, filters, grouping, now()) : undefined),
    source(relay) {
      const query = historyBackedQuery((req, signal) => relay.getFlows(req, { signal }), { store, newestWrittenNs, keep: settings.keep });
      return {
        getFlows: (req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<RelayResponse> => query(req, opts.signal ?? new AbortController().signal),
      };
    },
    async status() {
      const base = {
        mode: settings.mode,
        keep: settings.keep,
        store: store.kind,
        retention: { maxAgeSeconds: Math.round(settings.retentionMs / 1000), maxBytes: settings.maxBytes },
      };
      const r = recorder?.status;
      const recorderView = r && {
        state: r.state,
        received: r.received,
        written: r.written,
        duplicates: r.duplicates,
        lostEvents: r.lostEvents,
        pending: r.pending,
        ...(r.newestMs !== null ? { lagSeconds: Math.max(0, Math.round((now() - r.newestMs) / 100) / 10) } : {}),
        behind: r.behind,
        ...(r.lastError ? { lastError: r.lastError } : {}),
      };
      try {
        const u = await cachedUsage();
        return {
          ...base,
          ...(u.oldestNs !== null ? { reachesBack: new Date(Number(u.oldestNs / 1_000_000n)).toISOString() } : {}),
          ...(u.newestNs !== null ? { newest: new Date(Number(u.newestNs / 1_000_000n)).toISOString() } : {}),
          flows: u.flows,
          bytes: u.bytes,
          ...(recorderView ? { recorder: recorderView } : {}),
        };
      } catch (err) {
        usage = undefined;
        return { ...base, flows: 0, bytes: 0, ...(recorderView ? { recorder: recorderView } : {}), error: err instanceof Error ? err.message : String(err) };
      }
    },
    async coverage(fresh = false) {
      let u: Awaited<ReturnType<FlowStore["usage"]>>;
      try {
        u = await (fresh ? readUsage() : cachedUsage());
      } catch (err) {
        usage = undefined;
        throw err;
      }
      return { keep: settings.keep, oldestNs: u.oldestNs, newestWrittenNs: newestWrittenNs(), behind: recorder?.status.behind ?? false };
    },
    async close() {
      clearInterval(refresh);
      try {
        await recorder?.stop();
      } catch (err) {
        log.warn(`flow history: stopping the recorder: ${err instanceof Error ? err.message : String(err)}`);
      }
      await store.close();
    },
  };
}

/** The recorder: on a thread of its own for a relay connection, on this thread for a source. */
async function startRecorder(settings: HistorySettings, deps: FlowHistoryDeps, store: FlowStore, now: () => number): Promise<RecorderHandle> {
  if (!("getFlows" in deps.relay)) {
    return startRecorderThread({ settings, relay: deps.relay, dataDir: deps.dataDir }, { onWrite: deps.onWrite, onStateChange: deps.onRecorderState });
  }
  const recorder = new FlowRecorder({
    source: deps.relay,
    store,
    mode: settings.keep,
    whitelist: settings.filter?.whitelist,
    blacklist: settings.filter?.blacklist,
    retention: { maxAgeMs: settings.retentionMs, maxBytes: settings.maxBytes },
    now,
    onWrite: deps.onWrite,
    onStateChange: deps.onRecorderState,
  });
  await recorder.start();
  return recorder;
}
