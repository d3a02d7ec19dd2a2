import "server-only";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { type EpochNs, msToNs, nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import { type BackoffPolicy, DEFAULT_BACKOFF, abortableSleep, backoffDelay } from "./backoff";
import { BoundedKeySet, FlowDeduplicator, flowKey, lostEventKey } from "./dedup";
import { RelayError, classifyNodeError, classifyRelayError } from "./errors";
import { type FlowSource, type RelayResponse, flowBatches } from "./relay-client";

// Follows GetFlows(follow=true) for as long as it is asked to, across relay restarts and network
// failures. After a retryable failure it backs off (exponential, full jitter) and resumes with
// `since` = newest flow time seen - overlap, then drops the flows it already delivered, so the
// consumer sees neither a gap nor a duplicate (see README.md for the exact guarantee).
// Sharp edge: the consumer callback is awaited, so a slow consumer slows the stream (that is
// the backpressure); a consumer that throws stops the follower in the "failed" state.

/** A time the relay could not be followed: flows from it may be missing. */
export interface RelayOutage {
  /** When the previous stream broke. */
  readonly from: Date;
  /** When the next one started. */
  readonly to: Date;
}

export type FollowerState =
  | { kind: "connecting" }
  /** `outage`: the relay was unreachable just before this connection (absent on the first one). */
  | { kind: "live"; since: Date; outage?: RelayOutage }
  | { kind: "reconnecting"; attempt: number; nextTryAt: Date; lastError: string }
  | { kind: "failed"; reason: string };

export interface FollowRequest {
  whitelist?: FlowFilter[];
  blacklist?: FlowFilter[];
  /** Field mask paths (proto names). uuid, time and node_name are added: resuming needs them. */
  fieldMask?: readonly string[];
  /** Initial history: flows since this time (first connection only). */
  since?: Date | EpochNs;
  /** Initial history: the last N flows per node (first connection only). */
  number?: number | bigint;
}

export interface FlowFollowerOptions {
  source: FlowSource;
  request?: FollowRequest;
  /** Receives flows, lost events and node status events in relay order. Awaited. */
  onResponse: (response: RelayResponse) => void | Promise<void>;
  /** How far before the newest flow a resumed stream starts; covers the relay's sort window. */
  overlapMs?: number;
  backoff?: BackoffPolicy;
  maxDedupKeys?: number;
  random?: () => number;
  /** Wall clock in ms (for `live.since`, `nextTryAt` and stability). */
  now?: () => number;
  /** Must resolve (not reject) early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface FollowerStats {
  delivered: number;
  duplicatesDropped: number;
  connects: number;
  /** Reconnects after a stream broke: each one is an outage the viewers were told about. */
  outages: number;
}

const DEFAULT_OVERLAP_MS = 2_000;
/** Keys live a little longer than the overlap, for safety. */
const DEDUP_MARGIN_MS = 1_000;
const LOST_EVENT_KEYS = 4_096;
/** After a live stream breaks, retries stay at most this far apart for FAST_RETRY_WINDOW_MS. */
const FAST_RETRY_CEILING_MS = 1_000;
const FAST_RETRY_WINDOW_MS = 30_000;
const REQUIRED_MASK_PATHS = ["uuid", "time", "node_name"];

class ConsumerFailure extends Error {
  override name = "ConsumerFailure";
}

export class FlowFollower {
  private readonly opts: FlowFollowerOptions;
  private readonly overlapNs: EpochNs;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly flowKeys: FlowDeduplicator;
  private readonly lostKeys = new BoundedKeySet(LOST_EVENT_KEYS);
  private readonly listeners = new Set<(state: FollowerState) => void>();

  private currentState: FollowerState = { kind: "connecting" };
  private lastFailure: RelayError | Error | null = null;
  private newestFlowNs: EpochNs | null = null;
  private connectedAtNs: EpochNs | null = null;
  private counters: FollowerStats = { delivered: 0, duplicatesDropped: 0, connects: 0, outages: 0 };
  /** When the last live stream broke; null while live or before the first connection. */
  private brokeAtMs: number | null = null;

  private running: Promise<void> | null = null;
  private stopped = false;
  private attemptAbort: AbortController | null = null;
  private wake = new AbortController();

  constructor(opts: FlowFollowerOptions) {
    this.opts = opts;
    this.overlapNs = msToNs(opts.overlapMs ?? DEFAULT_OVERLAP_MS);
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
    this.flowKeys = new FlowDeduplicator({
      windowNs: this.overlapNs + msToNs(DEDUP_MARGIN_MS),
      maxKeys: opts.maxDedupKeys,
    });
  }

  get state(): FollowerState {
    return this.currentState;
  }

  /** The classified cause of the last failure or reconnect, for logs and error codes. */
  get lastError(): RelayError | Error | null {
    return this.lastFailure;
  }

  get stats(): Readonly<FollowerStats> {
    return { ...this.counters };
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: FollowerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run();
  }

  /**
   * Tries again now: from "failed" (after the user fixed something) or during a backoff wait.
   * Delivered flows stay remembered, so a restart neither repeats nor skips flows.
   */
  restart(): void {
    if (this.stopped) return;
    if (!this.running) return this.start();
    // Only a wait can be cut short; a live or connecting stream is left alone.
    if (this.currentState.kind === "failed" || this.currentState.kind === "reconnecting") this.wake.abort();
  }

  /** Cancels the stream and any wait; resolves when nothing is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.attemptAbort?.abort();
    this.wake.abort();
    await this.running;
    this.listeners.clear();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const outcome = await this.follow();
      if (this.stopped) return;
      this.lastFailure = outcome.error;
      // Any stream that started resets the backoff: a relay that restarts every few seconds is
      // tried again at once each time, not after a wait grown over its earlier restarts.
      if (outcome.liveForMs !== null) {
        attempt = 0;
        this.brokeAtMs = this.now();
      }
      if (outcome.error instanceof ConsumerFailure || !(outcome.error as RelayError).retryable) {
        this.setState({ kind: "failed", reason: outcome.error.message });
        await this.waitForWake(Infinity);
        attempt = 0;
        continue;
      }
      attempt += 1;
      // Right after a live stream broke the relay is most likely restarting: keep trying at least
      // every second for a while, so a run that is up only briefly is still caught.
      const policy = this.opts.backoff ?? DEFAULT_BACKOFF;
      const brokeRecently = this.brokeAtMs !== null && this.now() - this.brokeAtMs < FAST_RETRY_WINDOW_MS;
      const delay = backoffDelay(attempt, brokeRecently ? { ...policy, capMs: Math.min(policy.capMs, FAST_RETRY_CEILING_MS) } : policy, this.opts.random);
      this.setState({
        kind: "reconnecting",
        attempt,
        nextTryAt: new Date(this.now() + delay),
        lastError: outcome.error.message,
      });
      if (await this.waitForWake(delay)) attempt = 0; // restart() during the wait
    }
  }

  /** One connection: returns why it ended. */
  private async follow(): Promise<{ error: RelayError | ConsumerFailure; liveForMs: number | null }> {
    const abort = new AbortController();
    this.attemptAbort = abort;
    this.setState({ kind: "connecting" });
    let liveAtMs: number | null = null;
    const goLive = () => {
      if (liveAtMs !== null || abort.signal.aborted) return;
      liveAtMs = this.now();
      this.counters.connects += 1;
      const broke = this.brokeAtMs;
      this.brokeAtMs = null;
      if (broke === null) {
        this.setState({ kind: "live", since: new Date(liveAtMs) });
      } else {
        this.counters.outages += 1;
        this.setState({ kind: "live", since: new Date(liveAtMs), outage: { from: new Date(broke), to: new Date(liveAtMs) } });
      }
    };
    const liveFor = () => (liveAtMs === null ? null : this.now() - liveAtMs);

    let flowsThisAttempt = 0;
    const nodeErrors: string[] = [];
    let sawTime = false;
    try {
      const stream = flowBatches(this.opts.source, this.nextRequest(), { signal: abort.signal, onConnected: goLive });
      for await (const batch of stream) {
        for (const response of batch) {
          if (abort.signal.aborted) break; // stopped mid-batch: nothing more is delivered
          goLive();
          const kind = response.responseTypes.case;
          if (!sawTime && response.time) {
            // The relay's clock when this stream started: where to resume if no flow comes.
            sawTime = true;
            this.connectedAtNs = timestampToNs(response.time);
          }
          if (kind === "flow") {
            if (!this.admitFlow(response)) continue;
            flowsThisAttempt += 1;
          } else if (kind === "lostEvents") {
            const key = lostEventKey(response.responseTypes.value, response.nodeName, timestampToNs(response.time));
            if (!this.lostKeys.admit(key)) continue;
          } else if (kind === "nodeStatus" && response.responseTypes.value.stateChange === NodeState.NODE_ERROR) {
            nodeErrors.push(response.responseTypes.value.message);
          }
          const delivering = this.deliver(response);
          if (delivering) await delivering;
        }
      }
      return { error: endOfStreamError(flowsThisAttempt, nodeErrors), liveForMs: liveFor() };
    } catch (err) {
      if (err instanceof ConsumerFailure) return { error: err, liveForMs: liveFor() };
      return { error: classifyRelayError(err), liveForMs: liveFor() };
    } finally {
      abort.abort(); // ends the call if the loop left early
      this.attemptAbort = null;
    }
  }

  private admitFlow(response: RelayResponse): boolean {
    if (response.responseTypes.case !== "flow") return true;
    // A flow read from the wire has its uuid and time at hand: no need to decode the Flow.
    const wire = response.wire;
    const timeNs: EpochNs = wire
      ? wire.time
        ? BigInt(wire.time.seconds) * 1_000_000_000n + BigInt(wire.time.nanos)
        : timestampToNs(response.time)
      : timestampToNs(response.responseTypes.value.time ?? response.time);
    const key = flowKey(response);
    if (key !== null && !this.flowKeys.admit(key, timeNs)) {
      this.counters.duplicatesDropped += 1;
      return false;
    }
    if (timeNs > 0n && (this.newestFlowNs === null || timeNs > this.newestFlowNs)) this.newestFlowNs = timeNs;
    return true;
  }

  /** Hands a response to the consumer; a promise only when the consumer returned one (no microtask per flow). */
  private deliver(response: RelayResponse): Promise<void> | undefined {
    let pending: void | Promise<void>;
    try {
      pending = this.opts.onResponse(response);
    } catch (err) {
      throw consumerFailure(err);
    }
    if (!pending) {
      this.counters.delivered += 1;
      return undefined;
    }
    return pending.then(
      () => {
        this.counters.delivered += 1;
      },
      (err: unknown) => {
        throw consumerFailure(err);
      },
    );
  }

  /** The first request carries the caller's history; later ones resume just before the newest flow. */
  private nextRequest(): GetFlowsRequest {
    const req = this.opts.request ?? {};
    const request = create(GetFlowsRequestSchema, {
      follow: true,
      whitelist: req.whitelist ?? [],
      blacklist: req.blacklist ?? [],
    });
    if (req.fieldMask && req.fieldMask.length > 0) {
      const paths = [...req.fieldMask];
      for (const path of REQUIRED_MASK_PATHS) if (!paths.includes(path)) paths.push(path);
      request.fieldMask = create(FieldMaskSchema, { paths });
    }
    const resumeFrom = this.newestFlowNs ?? this.connectedAtNs;
    if (resumeFrom !== null) {
      request.since = nsToTimestamp(resumeFrom - this.overlapNs);
    } else {
      if (req.since !== undefined) {
        request.since = nsToTimestamp(req.since instanceof Date ? msToNs(req.since.getTime()) : req.since);
      }
      if (req.number !== undefined) request.number = BigInt(req.number);
    }
    return request;
  }

  /** Waits `ms` or until restart()/stop(); true when woken early. */
  private async waitForWake(ms: number): Promise<boolean> {
    if (this.stopped) return true;
    const signal = this.wake.signal;
    if (ms === Infinity) {
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } else {
      await this.sleep(ms, signal);
    }
    const woken = signal.aborted;
    if (woken && !this.stopped) this.wake = new AbortController();
    return woken;
  }

  private setState(state: FollowerState): void {
    if (this.stopped) return;
    this.currentState = state;
    for (const listener of this.listeners) listener(state);
  }
}

function consumerFailure(err: unknown): ConsumerFailure {
  return new ConsumerFailure(`Hubble Lens failed to process the flow stream: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * A follow stream should never end. When it ends after the relay reported only errors and no
 * flow, the request itself is bad (the relay wraps filter errors into NODE_ERROR events and ends
 * normally); otherwise the relay went away and we retry.
 */
function endOfStreamError(flows: number, nodeErrors: string[]): RelayError {
  if (flows === 0 && nodeErrors.length > 0) {
    const classified = nodeErrors.map(classifyNodeError);
    const permanent = classified.find((e) => !e.retryable);
    if (permanent && classified.every((e) => !e.retryable)) return permanent;
  }
  return new RelayError("relay_connection_lost", "Hubble Relay ended the flow stream.", {
    detail: nodeErrors.length > 0 ? `node errors: ${nodeErrors.join("; ")}` : "end of stream",
  });
}
