import "server-only";

import type { JsonObject } from "@bufbuild/protobuf";
import { type DropAttribution, type DropCount, dropCountKey, type DropGroups, groupDropCounts, isInvestigatedDrop } from "@/lib/drops";
import { bucketIndex, DEFAULT_BUCKETS } from "@/lib/drops/sparkline";
import type { FlowRow } from "@/lib/flow-model";
import { type ModelEntry, ServiceMapModel } from "@/lib/service-map/aggregate";
import { EdgeDropIndex } from "@/lib/service-map/policy-annotations";
import { mapSignature } from "@/lib/service-map/signature";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";
import { mapFrame } from "@/lib/service-map/wire";
import { encodeEvent } from "@/lib/sse";
import type { Grouping } from "@/lib/view-state";
import { type BatchFlow, parsedFlow } from "./batch";
import { RowInterner } from "./row-interner";
import type { Subscription } from "./subscription";

/** The time span a view's map and Drops view cover. */
export type AggregationWindow =
  /** The last `ms`, moving with the clock (a live view, or `since=5m`). */
  (
    | { readonly kind: "sliding"; readonly ms: number }
    /** From `fromMs` to `toMs` (or on, while following). */
    | { readonly kind: "fixed"; readonly fromMs: number; readonly toMs?: number }
  ) & {
    /** The flow history's per-minute counts of the part of the window it holds (server/flow-store/window-counts.ts). */
    readonly stored?: StoredWindowCounts;
  };

/**
 * The part of a window the flow history counts per minute: flows of the kinds `covers` accepts
 * (forwarded L3/L4, which `rollup` keeps only as counts) with a time in [fromMs, untilMs) are
 * counted from `load()`'s rows, never from flows, so the map has them whether or not the store
 * kept them in full, and whether or not a long window's query read them. Both bounds are minute
 * starts; flows outside them are counted from flows as usual.
 */
export interface StoredWindowCounts {
  readonly fromMs: number;
  readonly untilMs: number;
  covers(row: FlowRow): boolean;
  /** One representative row per counted kind, with its count, each at its minute's start. */
  load(): Promise<readonly { readonly row: FlowRow; readonly count: number }[]>;
}

export interface AggregationDeps {
  /** The policies a drop is charged to (lib/drops `attributeDrop` with the explainer's answer). */
  readonly attribute: (flow: JsonObject, row: FlowRow) => DropAttribution;
  readonly now: () => number;
}

/** Time buckets per window: a sliding window moves in steps of window / BUCKETS. */
const BUCKETS = 30;
/** Kinds of flow kept per bucket before the rest of the bucket's new kinds fold into a count of left-out flows. */
const MAX_KINDS_PER_BUCKET = 20_000;
const MIN_BUCKET_MS = 1000;

/** One kind of flow in one bucket: its kind's shared row, the bucket's first time for it, its counts. */
interface RowEntry extends ModelEntry {
  /** Flows added to the model so far, and flows still to add at the next tick. */
  count: number;
  pending: number;
}

/** A kind of flow (a map signature) in the window: one row for all its buckets' entries. */
interface Kind {
  readonly row: FlowRow;
  /** Buckets that hold an entry of it. */
  buckets: number;
}

interface DropEntry {
  readonly row: FlowRow;
  readonly attribution: DropAttribution;
  count: number;
  pending: number;
}

interface Bucket {
  readonly index: number;
  readonly rows: Map<string, RowEntry>;
  readonly drops: Map<string, DropEntry>;
}

interface Viewer {
  /** Whether the next map frame must be a full one (just joined). */
  needsFull: boolean;
}

/**
 * The service map and the Drops view of one view (filters, window, grouping), from every flow of
 * it: the map's model (lib/service-map) and the drop counts, over time buckets, so flows leave a
 * sliding window bucket by bucket without being kept. Per flow, only a signature and a count; per
 * kind of flow (signature) one row, shared by the buckets that count it (each bucket's entry keeps
 * its own count, time and what it added to the model, so its expiry takes back exactly that);
 * the model does its work per kind of flow at each tick (every 500 ms). Each tick's map delta and
 * drop groups are encoded once for every viewer.
 *
 * Exact: every flow given to `addFlows` is counted once, in the bucket of its own time; flows
 * older than the window are counted in `outside` only. Bounded: `MAX_KINDS_PER_BUCKET` kinds per
 * bucket (beyond, counted in `leftOut`), and the model's own bounds.
 */
export class ViewAggregation {
  readonly bucketMs: number;
  private readonly buckets = new Map<number, Bucket>();
  private readonly model: ServiceMapModel;
  private readonly edgeDrops: EdgeDropIndex;
  private readonly attributions = new WeakMap<FlowRow, DropAttribution>();
  /**
   * The window's kinds of flow, each with one representative row for every bucket that has it (a
   * row stands for every flow of its signature). Kinds share their strings (most kinds differ in a
   * port or a verdict, not in their workloads' names and labels).
   */
  private readonly kinds = new Map<string, Kind>();
  private readonly interner = new RowInterner();
  private readonly viewers = new Map<Subscription, Viewer>();
  private snapshot: ServiceMapSnapshot | undefined;
  private edgeDropsVersion = 0;
  private sentEdgeDropsVersion = -1;
  private seq = 0;
  private full: { seq: number; bytes: Uint8Array } | undefined;
  private dropsBytes: Uint8Array | undefined;
  private dropsDirty = true;
  private earliestMs = Infinity;
  private readonly stored: StoredWindowCounts | undefined;
  /** Resolves once the stored counts (if any) are in (counted at the next tick). */
  readonly storedLoaded: Promise<void> = Promise.resolve();
  /** Flows counted, flows older than the window, flows left out by the bounds. */
  counted = 0;
  outside = 0;
  leftOut = 0;

  constructor(
    readonly window: AggregationWindow,
    readonly grouping: Grouping,
    private readonly deps: AggregationDeps,
  ) {
    const span = window.kind === "sliding" ? window.ms : (window.toMs ?? deps.now()) - window.fromMs;
    this.bucketMs = Math.max(MIN_BUCKET_MS, Math.ceil(span / BUCKETS));
    this.model = new ServiceMapModel(grouping);
    this.edgeDrops = new EdgeDropIndex(grouping, isInvestigatedDrop, (row) => this.attributions.get(row)?.policies ?? []);
    const stored = window.stored;
    if (stored && stored.untilMs > stored.fromMs) {
      this.stored = stored;
      this.storedLoaded = stored.load().then(
        (rows) => this.addCounted(rows),
        () => {
          // The store did not answer: those minutes' covered flows are missing, as without history.
        },
      );
    }
  }

  /** Kinds of flow (map signatures) in the window: one representative row each. */
  get kindCount(): number {
    return this.kinds.size;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  addFlows(flows: readonly BatchFlow[]): void {
    const start = this.startMs();
    const end = this.window.kind === "fixed" ? this.window.toMs : undefined;
    for (const f of flows) {
      const parsed = parsedFlow(f);
      const row = parsed.row;
      const t = row.timeMs > 0 ? row.timeMs : this.deps.now();
      if (t < start || (end !== undefined && (t > end || (t === end && pastTheMs(row.time))))) {
        this.outside++;
        continue;
      }
      const stored = this.stored;
      if (stored && t >= stored.fromMs && t < stored.untilMs && stored.covers(row)) continue; // counted from the store
      const at = this.entryFor(t, row);
      if (!at) continue;
      at.entry.pending++;
      this.counted++;
      // The flow's JSON object only for a drop (the attribution reads it); parsed then, if not yet.
      if (isInvestigatedDrop(row)) this.countDrop(at.bucket, at.sig, parsed.flow, row);
    }
  }

  /** Adds the stored counts: rows of flows not seen one by one, each with its count. */
  private addCounted(rows: readonly { readonly row: FlowRow; readonly count: number }[]): void {
    const start = this.startMs();
    for (const { row, count } of rows) {
      if (row.timeMs < start || count <= 0) continue;
      const at = this.entryFor(row.timeMs, row);
      if (!at) continue;
      at.entry.pending += count;
      this.counted += count;
    }
  }

  private entryFor(t: number, row: FlowRow): { entry: RowEntry; bucket: Bucket; sig: string } | undefined {
    const index = Math.floor(t / this.bucketMs);
    let bucket = this.buckets.get(index);
    if (!bucket) this.buckets.set(index, (bucket = { index, rows: new Map(), drops: new Map() }));
    const sig = mapSignature(row, this.grouping);
    let entry = bucket.rows.get(sig);
    if (!entry) {
      if (bucket.rows.size >= MAX_KINDS_PER_BUCKET) {
        this.leftOut++;
        return undefined;
      }
      const key = this.interner.string(sig);
      let kind = this.kinds.get(key);
      if (!kind) this.kinds.set(key, (kind = { row: this.interner.row(row), buckets: 0 }));
      kind.buckets++;
      bucket.rows.set(key, (entry = { row: kind.row, timeMs: t, contribution: undefined, count: 0, pending: 0 }));
    }
    if (t < this.earliestMs) this.earliestMs = t;
    return { entry, bucket, sig };
  }

  /** Adds a viewer; it gets the current map and drops at once (if any), then every tick's. */
  attach(sub: Subscription): void {
    const viewer = { needsFull: true };
    this.viewers.set(sub, viewer);
    if (this.snapshot) {
      viewer.needsFull = false;
      sub.sendLatest("map", this.fullBytes());
      sub.sendLatest("drops", this.dropGroupsBytes());
    }
  }

  detach(sub: Subscription): void {
    this.viewers.delete(sub);
  }

  /** Moves the window, folds the new flows into the model, and sends what changed. */
  tick(): void {
    this.expire();
    const entries: [RowEntry, number][] = [];
    const drops: [FlowRow, number][] = [];
    for (const b of this.buckets.values()) {
      for (const e of b.rows.values()) {
        if (e.pending === 0) continue;
        entries.push([e, e.pending]);
        e.count += e.pending;
        e.pending = 0;
      }
      for (const d of b.drops.values()) {
        if (d.pending === 0) continue;
        drops.push([d.row, d.pending]);
        d.count += d.pending;
        d.pending = 0;
      }
    }
    if (entries.length > 0) this.model.addEntries(entries);
    if (drops.length > 0) {
      this.edgeDrops.addWeighted(drops);
      this.edgeDropsVersion++;
      this.dropsDirty = true;
    }
    const next = this.model.snapshot({ windowMs: this.coveredMs() });
    if (next === this.snapshot && this.edgeDropsVersion === this.sentEdgeDropsVersion && !this.dropsDirty) return;
    const prev = this.snapshot;
    this.snapshot = next;
    this.sentEdgeDropsVersion = this.edgeDropsVersion;
    this.seq++;
    const delta = encode({ type: "map", frame: mapFrame(prev, next, this.edgeDrops.snapshot(), this.seq) });
    if (this.dropsDirty) this.dropsBytes = undefined;
    this.dropsDirty = false;
    const drops2 = this.dropGroupsBytes();
    for (const [sub, viewer] of this.viewers) {
      if (viewer.needsFull || !prev) {
        viewer.needsFull = false;
        sub.sendLatest("map", this.fullBytes());
      } else {
        sub.sendLatest("map", delta, () => this.fullBytes());
      }
      sub.sendLatest("drops", drops2);
    }
  }

  /** The drop groups over the window (what the `drops` event carries). */
  dropGroups(): DropGroups {
    const window = { startMs: Math.max(this.startMs(), Math.min(this.earliestMs, this.deps.now())), endMs: this.endMs() };
    const half = this.bucketMs / 2;
    const counts: DropCount[] = [];
    for (const b of this.buckets.values()) {
      const spark = bucketIndex(b.index * this.bucketMs + half, window, DEFAULT_BUCKETS);
      for (const d of b.drops.values()) {
        if (d.count > 0) counts.push({ row: d.row, attribution: d.attribution, count: d.count, bucket: spark });
      }
    }
    return groupDropCounts(counts, window);
  }

  /** The map as of the last tick. */
  mapSnapshot(): ServiceMapSnapshot | undefined {
    return this.snapshot;
  }

  private countDrop(bucket: Bucket, sig: string, flow: JsonObject, row: FlowRow): void {
    const attribution = this.deps.attribute(flow, row);
    const key = `${sig}\u0002${dropCountKey(row, attribution)}`;
    let d = bucket.drops.get(key);
    if (!d) {
      bucket.drops.set(key, (d = { row, attribution, count: 0, pending: 0 }));
      this.attributions.set(row, attribution);
    }
    d.pending++;
  }

  private expire(): void {
    if (this.window.kind !== "sliding") return;
    const first = Math.floor(this.startMs() / this.bucketMs);
    for (const b of [...this.buckets.values()]) {
      if (b.index >= first) continue;
      this.buckets.delete(b.index);
      // Only what reached the model goes back out of it; pending flows were never added.
      this.model.removeEntries([...b.rows.values()].filter((e) => e.count > 0));
      for (const sig of b.rows.keys()) {
        const kind = this.kinds.get(sig);
        if (kind && --kind.buckets <= 0) this.kinds.delete(sig);
      }
      const drops = [...b.drops.values()].filter((d) => d.count > 0);
      if (drops.length > 0) {
        this.edgeDrops.remove(drops.map((d) => d.row));
        this.edgeDropsVersion++;
      }
      if (b.drops.size > 0) this.dropsDirty = true;
    }
    if (this.earliestMs < first * this.bucketMs) this.earliestMs = first * this.bucketMs;
  }

  private startMs(): number {
    return this.window.kind === "sliding" ? this.deps.now() - this.window.ms : this.window.fromMs;
  }

  private endMs(): number {
    const now = this.deps.now();
    return this.window.kind === "fixed" && this.window.toMs !== undefined ? Math.min(now, this.window.toMs) : now;
  }

  private coveredMs(): number {
    const from = Math.max(this.startMs(), Number.isFinite(this.earliestMs) ? this.earliestMs : this.endMs());
    return Math.max(1000, this.endMs() - from);
  }

  private fullBytes(): Uint8Array {
    if (this.full?.seq !== this.seq && this.snapshot) {
      this.full = { seq: this.seq, bytes: encode({ type: "map", frame: mapFrame(undefined, this.snapshot, this.edgeDrops.snapshot(), this.seq) }) };
    }
    return this.full!.bytes;
  }

  private dropGroupsBytes(): Uint8Array {
    this.dropsBytes ??= encode({ type: "drops", groups: this.dropGroups() });
    return this.dropsBytes;
  }
}

const utf8 = new TextEncoder();

/**
 * Whether an RFC 3339 time has more than milliseconds (e.g. `…:05.123400Z`): such a flow in the
 * window's last millisecond is after an `until` that ends on that millisecond, as the relay,
 * which compares nanoseconds, decides.
 */
function pastTheMs(time: string): boolean {
  const dot = time.indexOf(".");
  if (dot < 0) return false;
  for (let i = dot + 4; i < time.length; i++) {
    const c = time.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    if (c !== 48) return true;
  }
  return false;
}

function encode(event: Parameters<typeof encodeEvent>[0]): Uint8Array {
  return utf8.encode(encodeEvent(event));
}
