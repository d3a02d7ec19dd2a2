import "server-only";

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { LostEventSource } from "@/proto/gen/flow/flow_pb";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import type { RelayStateView } from "@/lib/sse";

// `GET /metrics`: Prometheus text format through prom-client. Values read from objects that
// already know them (the hub's upstream count, open streams' missed counts) are taken at scrape
// time; what happens on the hot path (a flow arriving at 20k/s) is a plain `+= 1` here and is
// handed to prom-client only when Prometheus scrapes, so counting costs the stream nothing.
// Names follow Prometheus' conventions: a `hubble_lens_` prefix, `_total` for counters, base units.

export type RelayStreamState = RelayStateView["kind"];
const STREAM_STATES: readonly RelayStreamState[] = ["connecting", "live", "reconnecting", "failed"];

/** What the runtime lets the scrape read (set once it is up). */
export interface RuntimeGauges {
  /** Upstream GetFlows streams the hub has open (one per distinct server-side filter). */
  upstreamStreams(): number;
  /** The flow history recorder's status, when this replica records. */
  history?: () => HistoryRecorderGauges | undefined;
}

/** What the metrics read from the flow history recorder (server/flow-store/recorder.ts). */
export interface HistoryRecorderGauges {
  readonly pending: number;
  readonly newestMs: number | null;
  readonly behind: boolean;
  readonly lostEvents: number;
}

/** A `/api/flows` stream, as the metrics see it while it is open. */
export interface OpenSseStream {
  /** Flows dropped for this client so far (Subscription.missedTotal). */
  readonly missedTotal: number;
  /** Bytes of flows waiting for this client (Subscription.queuedBytes). */
  readonly queuedBytes: number;
}

export type InvestigationSaveResult = "saved" | "rejected" | "failed";

export class HubbleLensMetrics {
  readonly registry = new Registry();

  // Hot-path tallies, reported at scrape time.
  private flowsReceived = 0;
  /** The last sampled flow from a following stream: its time and when it arrived (ms). */
  private relayDelay: { flowMs: number; receivedMs: number } | undefined;
  private readonly lostBySource = new Map<string, number>();
  private sseBytes = 0;
  private missedOfClosedStreams = 0;
  private readonly openStreams = new Set<OpenSseStream>();
  private readonly streamStates = new Map<object, RelayStreamState>();
  private relayReachable: boolean | undefined;
  private firstReachedAt: Date | undefined;
  private runtime: RuntimeGauges | undefined;

  readonly relayReconnects: Counter;
  readonly explainSeconds: Histogram;
  readonly investigationSaves: Counter<"result">;
  /** API requests refused for want of a valid sign-in, and failed OIDC callbacks (server/auth). */
  readonly authFailures: Counter;
  readonly historyWriteSeconds: Histogram;
  private historyWritten = 0;
  private historyDuplicates = 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with `this` bound to the metric
    const self = this;

    new Gauge({
      name: "hubble_lens_relay_up",
      help: "1 when the last contact with Hubble Relay succeeded (a stream went live or ServerStatus answered), 0 when it failed or before the first contact.",
      registers,
      collect() {
        this.set(self.relayReachable ? 1 : 0);
      },
    });
    new Gauge({
      name: "hubble_lens_relay_streams",
      help: "Following GetFlows streams to Hubble Relay, by connection state.",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = new Map<RelayStreamState, number>(STREAM_STATES.map((s) => [s, 0]));
        for (const s of self.streamStates.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    this.relayReconnects = new Counter({
      name: "hubble_lens_relay_reconnects_total",
      help: "Times a stream to Hubble Relay broke and started reconnecting.",
      registers,
    });
    new Counter({
      name: "hubble_lens_relay_flows_received_total",
      help: "Flows received on the following streams from Hubble Relay (rate() gives flows per second).",
      registers,
      collect() {
        this.reset();
        this.inc(self.flowsReceived);
      },
    });
    new Gauge({
      name: "hubble_lens_relay_flow_delay_seconds",
      help: "How far behind the clock the relay's flows arrive: receipt time minus flow time, of a recently received flow (the cluster's own delay, before this server's).",
      registers,
      collect() {
        const d = self.relayDelay;
        this.set(d ? Math.max(0, (d.receivedMs - d.flowMs) / 1000) : 0);
      },
    });
    new Counter({
      name: "hubble_lens_relay_lost_events_total",
      help: "Events Hubble reported lost (lost_events responses on the following streams), by where they were lost.",
      labelNames: ["source"],
      registers,
      collect() {
        this.reset();
        for (const [source, n] of self.lostBySource) this.inc({ source }, n);
      },
    });
    new Gauge({
      name: "hubble_lens_upstream_streams",
      help: "Upstream GetFlows streams the hub shares among browsers (one per distinct server-side filter).",
      registers,
      collect() {
        this.set(self.runtime?.upstreamStreams() ?? 0);
      },
    });
    new Gauge({
      name: "hubble_lens_sse_subscribers",
      help: "Open /api/flows Server-Sent Events streams.",
      registers,
      collect() {
        this.set(self.openStreams.size);
      },
    });
    new Gauge({
      name: "hubble_lens_sse_queued_bytes",
      help: "Bytes of flows queued in the server for /api/flows streams whose browsers have not read them yet.",
      registers,
      collect() {
        let bytes = 0;
        for (const s of self.openStreams) bytes += s.queuedBytes;
        this.set(bytes);
      },
    });
    new Counter({
      name: "hubble_lens_sse_missed_flows_total",
      help: "Flows dropped for browsers that read too slowly (each told with a missed event).",
      registers,
      collect() {
        let open = 0;
        for (const s of self.openStreams) open += s.missedTotal;
        this.reset();
        this.inc(self.missedOfClosedStreams + open);
      },
    });
    new Counter({
      name: "hubble_lens_sse_bytes_total",
      help: "Bytes written to /api/flows Server-Sent Events streams.",
      registers,
      collect() {
        this.reset();
        this.inc(self.sseBytes);
      },
    });
    this.explainSeconds = new Histogram({
      name: "hubble_lens_explain_duration_seconds",
      help: "Time to answer POST /api/explain, body read to response.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.investigationSaves = new Counter({
      name: "hubble_lens_investigation_saves_total",
      help: "POST /api/investigations by result: saved, rejected (4xx: bad or too large) or failed (the store failed).",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["saved", "rejected", "failed"] as const) this.investigationSaves.inc({ result }, 0);
    new Counter({
      name: "hubble_lens_history_flows_written_total",
      help: "Flows the recorder wrote to the flow history (new ones; flows it already had are counted as duplicates).",
      registers,
      collect() {
        this.reset();
        this.inc(self.historyWritten);
      },
    });
    new Counter({
      name: "hubble_lens_history_duplicates_total",
      help: "Flows the recorder received again (a resume's overlap) and the flow history already had.",
      registers,
      collect() {
        this.reset();
        this.inc(self.historyDuplicates);
      },
    });
    new Gauge({
      name: "hubble_lens_history_pending_flows",
      help: "Flows received by the recorder and not yet written to the flow history.",
      registers,
      collect() {
        this.set(self.runtime?.history?.()?.pending ?? 0);
      },
    });
    new Gauge({
      name: "hubble_lens_history_lag_seconds",
      help: "Seconds between now and the newest flow written to the flow history (grows when the store falls behind or the relay stops).",
      registers,
      collect() {
        const newest = self.runtime?.history?.()?.newestMs;
        this.set(newest === null || newest === undefined ? 0 : Math.max(0, (Date.now() - newest) / 1000));
      },
    });
    new Gauge({
      name: "hubble_lens_history_behind",
      help: "1 while the flow history's writes do not keep up with the relay (a backlog, or failing writes).",
      registers,
      collect() {
        this.set(self.runtime?.history?.()?.behind ? 1 : 0);
      },
    });
    this.historyWriteSeconds = new Histogram({
      name: "hubble_lens_history_write_duration_seconds",
      help: "Time to write one batch of flows to the flow history.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.authFailures = new Counter({
      name: "hubble_lens_auth_failures_total",
      help: "Requests refused because the sign-in was missing or invalid.",
      registers,
    });
  }

  /** One batch written to the flow history. */
  historyWrite(flows: number, duplicates: number, seconds: number): void {
    this.historyWritten += flows;
    this.historyDuplicates += duplicates;
    this.historyWriteSeconds.observe(seconds);
  }

  /** The runtime is up: its gauges can be read at scrape time. */
  bindRuntime(gauges: RuntimeGauges): void {
    this.runtime = gauges;
  }

  /** One response of a following relay stream (the hot path: a tally only). */
  relayResponse(r: RelayResponse): void {
    const c = r.responseTypes.case;
    if (c === "flow") {
      // One flow in 256 is enough to follow the delay, and keeps Date.now off the hot path.
      if ((this.flowsReceived++ & 255) === 0) {
        const t = r.wire ? r.wire.time : r.responseTypes.value.time;
        if (t) this.relayDelay = { flowMs: Number(t.seconds) * 1000 + t.nanos / 1e6, receivedMs: Date.now() };
      }
    } else if (c === "lostEvents") {
      const lost = r.responseTypes.value;
      const source = LostEventSource[lost.source] ?? String(lost.source);
      this.lostBySource.set(source, (this.lostBySource.get(source) ?? 0) + Number(lost.numEventsLost));
    }
  }

  /** A relay stream changed state; `stream` identifies it until `relayStreamClosed`. */
  relayStreamState(stream: object, state: RelayStreamState): void {
    const before = this.streamStates.get(stream);
    this.streamStates.set(stream, state);
    if (state === "reconnecting" && before !== "reconnecting") this.relayReconnects.inc();
    if (state === "live") this.relayChecked(true);
    else if (state === "reconnecting" || state === "failed") this.relayChecked(false);
  }

  relayStreamClosed(stream: object): void {
    this.streamStates.delete(stream);
  }

  /** The outcome of a ServerStatus call (GET /api/status, /readyz). */
  relayChecked(reachable: boolean, now = new Date()): void {
    this.relayReachable = reachable;
    if (reachable) this.firstReachedAt ??= now;
  }

  /** When Hubble Relay first answered (readiness needs it reached at least once). */
  get relayFirstReachedAt(): Date | undefined {
    return this.firstReachedAt;
  }

  sseOpened(stream: OpenSseStream): void {
    this.openStreams.add(stream);
  }

  sseWrote(bytes: number): void {
    this.sseBytes += bytes;
  }

  sseClosed(stream: OpenSseStream): void {
    if (this.openStreams.delete(stream)) this.missedOfClosedStreams += stream.missedTotal;
  }

  investigationSaved(status: number): void {
    const result: InvestigationSaveResult = status < 300 ? "saved" : status < 500 ? "rejected" : "failed";
    this.investigationSaves.inc({ result });
  }

  /** The scrape: Prometheus text exposition format. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

// Next.js bundles each route separately, so module state is not shared between them: one
// instance per process lives on globalThis, like the runtime.
const KEY = Symbol.for("hubble-lens.metrics");
type Holder = { [KEY]?: HubbleLensMetrics };

/** The process-wide metrics. */
export function getMetrics(): HubbleLensMetrics {
  const holder = globalThis as Holder;
  holder[KEY] ??= new HubbleLensMetrics();
  return holder[KEY];
}
