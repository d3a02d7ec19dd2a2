import "server-only";

import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { log } from "@/server/log";
import { FlowFollower, type FollowerState } from "@/server/relay-client/flow-follower";
import type { FlowSource, RelayResponse } from "@/server/relay-client/relay-client";
import { flowRecord } from "./records";
import type { FlowRecord, FlowStore, KeepMode, RetentionPolicy } from "./store";

// The recorder: follows the relay on its own stream (not the viewers'), independent of who is
// watching, and writes every flow to the flow store in batches.
//
// - Resume: it starts from the newest flow time the store holds, minus an overlap that covers the
//   relay's sort window; the store drops the flows it already has (by uuid), so neither its own
//   restart nor the relay's leaves a gap (within what the relay still buffers) or a duplicate.
//   An empty store starts with everything the relay still holds.
// - Never in the way of the live view: its stream is its own, batches are written one at a time
//   while the next one fills. Only when `maxPendingFlows` wait does it stop reading its stream
//   (backpressure on its own stream only: the relay then drops for it and says so in lost
//   events, which the status shows). `behind` says when writes do not keep up.
// - Retention runs every `retentionEveryMs`, between writes.

export interface RecorderOptions {
  readonly source: FlowSource;
  readonly store: FlowStore;
  readonly mode: KeepMode;
  readonly whitelist?: readonly FlowFilter[];
  readonly blacklist?: readonly FlowFilter[];
  /** Write a batch at least this often (ms)… */
  readonly flushMs?: number;
  /** …or when this many flows wait. */
  readonly maxBatch?: number;
  /** Beyond this many flows waiting, reading the stream pauses until a write finishes. */
  readonly maxPendingFlows?: number;
  /** How far before the newest stored flow a restarted recorder asks the relay from. */
  readonly resumeOverlapMs?: number;
  readonly retention?: Omit<RetentionPolicy, "nowMs">;
  readonly retentionEveryMs?: number;
  readonly now?: () => number;
  /** Per written batch, for metrics. */
  readonly onWrite?: (flows: number, duplicates: number, seconds: number) => void;
  readonly onStateChange?: (state: FollowerState) => void;
}

export interface RecorderStatus {
  readonly state: FollowerState["kind"] | "stopped" | "starting";
  readonly mode: KeepMode;
  /** Flows received from the relay and written (new), or found already stored. */
  readonly received: number;
  readonly written: number;
  readonly duplicates: number;
  /** Events the relay reported lost on the recorder's stream: those flows are not in history. */
  readonly lostEvents: number;
  /** Flows waiting to be written. */
  readonly pending: number;
  /** Newest flow time written, ms; null before the first. */
  readonly newestMs: number | null;
  /** Writes are not keeping up: a backlog of more than a few batches, or the last write failed. */
  readonly behind: boolean;
  readonly lastError: string | null;
  /** Duration of the last write, ms. */
  readonly lastWriteMs: number | null;
}

const DEFAULT_FLUSH_MS = 1000;
const DEFAULT_MAX_BATCH = 4000;
const DEFAULT_MAX_PENDING = 200_000;
const DEFAULT_RESUME_OVERLAP_MS = 5000;
const DEFAULT_RETENTION_EVERY_MS = 60_000;
const WRITE_RETRY_MS = 2000;

export class FlowRecorder {
  private readonly opts: RecorderOptions;
  private readonly now: () => number;
  private follower: FlowFollower | undefined;
  private pending: FlowRecord[] = [];
  private writing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retaining: Promise<void> | undefined;
  private stopped = false;
  private started = false;
  private followerState: FollowerState | undefined;
  private counts = { received: 0, written: 0, duplicates: 0, lostEvents: 0 };
  private newestNs: bigint | null = null;
  private lastError: string | null = null;
  private lastWriteMs: number | null = null;
  private writeFailing = false;
  /** Resolvers of a paused stream, waiting for the backlog to shrink. */
  private drained: (() => void)[] = [];

  constructor(opts: RecorderOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** Reads where to resume from the store, then follows the relay. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const newest = await this.opts.store.newestTimeNs();
    this.newestNs = newest;
    const overlapNs = BigInt(this.opts.resumeOverlapMs ?? DEFAULT_RESUME_OVERLAP_MS) * 1_000_000n;
    // An empty store takes everything the relay still holds (since the epoch).
    const since = newest === null ? 1n : newest - overlapNs;
    if (this.stopped) return;
    log.info("flow history: recording", { mode: this.opts.mode, from: newest === null ? "the oldest flow the relay holds" : new Date(Number(since / 1_000_000n)).toISOString() });
    this.follower = new FlowFollower({
      source: this.opts.source,
      request: { whitelist: [...(this.opts.whitelist ?? [])], blacklist: [...(this.opts.blacklist ?? [])], since },
      onResponse: (r) => this.onResponse(r),
    });
    this.follower.onStateChange((s) => {
      this.followerState = s;
      this.opts.onStateChange?.(s);
      if (s.kind === "live" && s.outage) log.warn("flow history: relay stream live again", { outageFrom: s.outage.from.toISOString() });
    });
    this.followerState = this.follower.state;
    this.follower.start();
    this.flushTimer = setInterval(() => this.flush(), this.opts.flushMs ?? DEFAULT_FLUSH_MS);
    this.flushTimer.unref?.();
    if (this.opts.retention) {
      this.retentionTimer = setInterval(() => void this.retainNow(), this.opts.retentionEveryMs ?? DEFAULT_RETENTION_EVERY_MS);
      this.retentionTimer.unref?.();
      void this.retainNow();
    }
  }

  get status(): RecorderStatus {
    const maxBatch = this.opts.maxBatch ?? DEFAULT_MAX_BATCH;
    return {
      state: this.stopped ? "stopped" : (this.followerState?.kind ?? "starting"),
      mode: this.opts.mode,
      ...this.counts,
      pending: this.pending.length,
      newestMs: this.newestNs === null ? null : Number(this.newestNs / 1_000_000n),
      behind: this.writeFailing || this.pending.length > 4 * maxBatch,
      lastError: this.lastError,
      lastWriteMs: this.lastWriteMs,
    };
  }

  /** Flushes what is pending once, and resolves when it is written (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      this.flush();
      await this.writing;
      if (this.writeFailing) return;
    }
  }

  /** Stops following, writes what is pending, and waits for retention to finish. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.follower?.stop();
    this.stopped = true;
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    await this.drain();
    await this.retaining;
    for (const d of this.drained.splice(0)) d();
  }

  private onResponse(r: RelayResponse): void | Promise<void> {
    const kind = r.responseTypes.case;
    if (kind === "lostEvents") {
      this.counts.lostEvents += Number(r.responseTypes.value.numEventsLost);
      return;
    }
    if (kind !== "flow") return;
    const record = flowRecord(r, this.opts.mode);
    if (!record) return;
    this.counts.received++;
    this.pending.push(record);
    if (this.pending.length >= (this.opts.maxBatch ?? DEFAULT_MAX_BATCH)) this.flush();
    if (this.pending.length >= (this.opts.maxPendingFlows ?? DEFAULT_MAX_PENDING)) {
      return new Promise<void>((resolve) => this.drained.push(resolve));
    }
  }

  private flush(): void {
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.maxBatch ?? DEFAULT_MAX_BATCH);
    const started = performance.now();
    this.writing = this.opts.store
      .write(batch)
      .then(
        (result) => {
          const ms = performance.now() - started;
          this.lastWriteMs = ms;
          this.counts.written += result.written;
          this.counts.duplicates += result.duplicates;
          for (const f of batch) if (this.newestNs === null || f.timeNs > this.newestNs) this.newestNs = f.timeNs;
          this.writeFailing = false;
          this.opts.onWrite?.(result.written, result.duplicates, ms / 1000);
        },
        async (err: unknown) => {
          // Keep the batch and try again: the flows stay in order and none is lost while memory lasts.
          this.pending.unshift(...batch);
          this.lastError = err instanceof Error ? err.message : String(err);
          if (!this.writeFailing) log.error(`flow history: write failed, retrying: ${this.lastError}`);
          this.writeFailing = true;
          if (!this.stopped) await new Promise((r) => setTimeout(r, WRITE_RETRY_MS).unref?.());
        },
      )
      .finally(() => {
        this.writing = undefined;
        if (this.pending.length < (this.opts.maxPendingFlows ?? DEFAULT_MAX_PENDING)) for (const d of this.drained.splice(0)) d();
        if (this.pending.length >= (this.opts.maxBatch ?? DEFAULT_MAX_BATCH) && !this.writeFailing) this.flush();
      });
  }

  private retainNow(): Promise<void> {
    const policy = this.opts.retention;
    if (!policy || this.retaining) return this.retaining ?? Promise.resolve();
    this.retaining = (async () => {
      try {
        // Between writes, so a write never waits long for retention.
        await this.writing;
        const result = await this.opts.store.enforceRetention({ ...policy, nowMs: this.now() });
        if (result.removedFlows > 0) log.debug("flow history: retention", { removed: result.removedFlows });
      } catch (err) {
        if (!this.stopped) log.warn(`flow history: retention failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.retaining = undefined;
      }
    })();
    return this.retaining;
  }
}
