// A bounded, newest-first buffer of flow rows for the browser, keyed by flow id so a reconnect
// that replays history never shows a flow twice. Pure; the React side reads it through
// useSyncExternalStore.

import type { JsonObject } from "@bufbuild/protobuf";
import { type FlowRow, toFlowRow } from "./flow-model";

export interface FlowBufferSnapshot {
  /** Newest first. */
  readonly rows: readonly FlowRow[];
  /** Raw Hubble JSON by row id, for the details drawer and export. */
  readonly raw: ReadonlyMap<string, JsonObject>;
  /** Rows added by the last change; 0 after a reset. */
  readonly appended: number;
  readonly evicted: number;
}

export class FlowBuffer {
  private rows: FlowRow[] = [];
  private raw = new Map<string, JsonObject>();
  /** Entries of `raw` whose rows were evicted. */
  private stale = 0;
  private snapshotCache: FlowBufferSnapshot;
  evictedTotal = 0;

  constructor(readonly capacity: number) {
    this.snapshotCache = { rows: [], raw: this.raw, appended: 0, evicted: 0 };
  }

  get snapshot(): FlowBufferSnapshot {
    return this.snapshotCache;
  }

  /** Adds flows (any order); returns how many were new. */
  add(flows: readonly JsonObject[]): number {
    const fresh: FlowRow[] = [];
    for (const json of flows) {
      const row = toFlowRow(json);
      if (this.raw.has(row.id)) continue;
      this.raw.set(row.id, json);
      fresh.push(row);
    }
    if (fresh.length === 0) return 0;
    fresh.sort((a, b) => b.timeMs - a.timeMs);
    const newestKept = this.rows[0]?.timeMs ?? -Infinity;
    // Usually every new flow is newer than what is kept (a prepend); flows from several nodes can
    // arrive slightly out of order, and then a linear merge keeps the order without a full sort.
    let merged = fresh[fresh.length - 1].timeMs >= newestKept ? fresh.concat(this.rows) : mergeNewestFirst(fresh, this.rows);
    let evicted = 0;
    if (merged.length > this.capacity) {
      evicted = merged.length - this.capacity;
      merged = merged.slice(0, this.capacity);
      this.evictedTotal += evicted;
      // Evicted rows' JSON stays in the map an earlier snapshot shares (a paused view still opens
      // its rows' details); once a capacity's worth are stale, later snapshots get a fresh map.
      this.stale += evicted;
      if (this.stale >= this.capacity) {
        const kept = new Map<string, JsonObject>();
        for (const row of merged) kept.set(row.id, this.raw.get(row.id)!);
        this.raw = kept;
        this.stale = 0;
      }
    }
    this.rows = merged;
    this.snapshotCache = { rows: merged, raw: this.raw, appended: fresh.length, evicted };
    return fresh.length;
  }

  clear(): void {
    this.rows = [];
    this.raw = new Map();
    this.stale = 0;
    this.snapshotCache = { rows: [], raw: this.raw, appended: 0, evicted: 0 };
  }
}

/** Merges two newest-first lists; on equal times the kept rows stay first. */
function mergeNewestFirst(fresh: readonly FlowRow[], kept: readonly FlowRow[]): FlowRow[] {
  const out = new Array<FlowRow>(fresh.length + kept.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < fresh.length && j < kept.length) out[k++] = fresh[i].timeMs > kept[j].timeMs ? fresh[i++] : kept[j++];
  while (i < fresh.length) out[k++] = fresh[i++];
  while (j < kept.length) out[k++] = kept[j++];
  return out;
}
