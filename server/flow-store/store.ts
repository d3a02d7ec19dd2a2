import "server-only";

import type { EdgeKeyView } from "@/lib/api/flows";

// The flow store: every flow the recorder follows, kept past the relay's ring buffers, behind one
// interface with two backends (SQLite in the data directory, ClickHouse for teams). See README.md.

/** What the recorder keeps of each flow. */
export type KeepMode =
  /** Every flow in full. */
  | "all"
  /** Drops, audits, errors and L7 flows in full; forwarded L3/L4 flows only as per-minute edge counts. */
  | "rollup";

/**
 * What a flow counts under in the per-minute rollup: the map's edge (both ends, port, protocol)
 * with the verdict and drop reason, so the map and the Drops view over hours are counts, not flows.
 * Oriented as the connection was opened: a reply counts under its request's edge (src = client,
 * dst = server and its port), so ephemeral ports never multiply the rows.
 */
export type EdgeKey = EdgeKeyView;

/** One flow as the recorder hands it to the store. */
export interface FlowRecord {
  /** uuid (Cilium >= 1.14), else a content key: what de-duplication matches on. */
  readonly key: string;
  readonly timeNs: bigint;
  readonly node: string;
  /** The Flow message's protobuf bytes, as the relay sent them. */
  readonly flow: Uint8Array;
  /** Kept in full (else only counted in the rollup). */
  readonly keep: boolean;
  readonly edge: EdgeKey;
}

/** A flow read back from the store. */
export interface StoredFlow {
  readonly key: string;
  readonly timeNs: bigint;
  readonly node: string;
  readonly flow: Uint8Array;
}

export interface WriteResult {
  /** New flows counted (kept in full or rolled up). */
  readonly written: number;
  /** Flows the store already had (same key), left out. */
  readonly duplicates: number;
}

export interface FlowRange {
  /** Inclusive. */
  readonly sinceNs?: bigint;
  /** Inclusive. */
  readonly untilNs?: bigint;
}

export interface FlowQuery extends FlowRange {
  /** At most this many flows (the oldest of the range). */
  readonly limit?: number;
  /** Narrows what is read when the store can (an optimisation: callers still filter exactly). */
  readonly hint?: FlowQueryHint;
  readonly signal?: AbortSignal;
}

/** Conditions a store may push down; every one is a superset of what the caller's filter admits. */
export interface FlowQueryHint {
  /** Only these keys (a uuid filter). */
  readonly keys?: readonly string[];
}

/** An edge's flow count over a time range (per minute when asked). */
export interface EdgeCount extends EdgeKey {
  /** Start of the minute, ms; 0 when the counts are summed over the range. */
  readonly minuteMs: number;
  readonly count: number;
}

export interface EdgeCountQuery {
  readonly sinceMs: number;
  readonly untilMs: number;
  /** Only these verdicts (e.g. ["DROPPED"] for the Drops view). */
  readonly verdicts?: readonly string[];
  /** Only edges with this namespace at either end. */
  readonly namespace?: string;
  /** One row per minute and edge, instead of per edge over the range. */
  readonly perMinute?: boolean;
}

export interface StoreUsage {
  /** Flows kept in full. */
  readonly flows: number;
  /** Rows of the per-minute edge rollup. */
  readonly rollupRows: number;
  /** Bytes the store takes (SQLite: pages in use; ClickHouse: compressed bytes of active parts). */
  readonly bytes: number;
  /** Time of the oldest and newest flow counted (kept or rolled up); null when empty. */
  readonly oldestNs: bigint | null;
  readonly newestNs: bigint | null;
}

export interface RetentionPolicy {
  /** Flows and counts older than now − maxAgeMs go. */
  readonly maxAgeMs: number;
  /** The oldest go until the store is below this (0: no limit). */
  readonly maxBytes: number;
  readonly nowMs: number;
}

export interface RetentionResult {
  readonly removedFlows: number;
  /** The oldest flow time left afterwards; null when empty. */
  readonly oldestNs: bigint | null;
}

export interface FlowStore {
  readonly kind: "sqlite" | "clickhouse";
  /**
   * Keeps a batch: flows with `keep` in full, every flow in its minute's edge count. Idempotent per
   * key: a flow whose key the store already has (kept, or counted within the last
   * `DEDUP_HORIZON_NS` of flow time) is left out, so a recorder that resumes with an overlap
   * stores no duplicate. Resolves once the batch is durable.
   */
  write(flows: readonly FlowRecord[]): Promise<WriteResult>;
  /** Newest flow time counted (kept or rolled up), where a recorder resumes; null when empty. */
  newestTimeNs(): Promise<bigint | null>;
  /** Flows kept in full within the range, oldest first. */
  flows(query: FlowQuery): AsyncIterable<StoredFlow>;
  /** The flow kept under this key (uuid), if any. A range, when known, makes the search cheaper. */
  flowByKey(key: string, range?: FlowRange): Promise<StoredFlow | undefined>;
  /** Edge counts (every flow, kept or rolled up) over a time range. */
  edgeCounts(query: EdgeCountQuery): Promise<EdgeCount[]>;
  usage(): Promise<StoreUsage>;
  /** Removes what is older than the policy allows, and the oldest beyond its size. */
  enforceRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  close(): Promise<void>;
}

/**
 * How far back (flow time, from the newest) a key of a rolled-up flow is still remembered: well
 * past a resume's overlap (5 s), and bounded, so that in `rollup` mode the keys cost a constant
 * (a minute of flows), not bytes per flow.
 */
export const DEDUP_HORIZON_NS = 60n * 1_000_000_000n;

export const MINUTE_MS = 60_000;

/**
 * How far back history reaches, from the oldest kept flow and the oldest counted minute: the
 * flow's own time, unless the counts reach further back than their minute (rolled-up flows only).
 */
export function oldestOf(oldestFlowNs: bigint | null, oldestMinuteMs: bigint | null): bigint | null {
  const minuteNs = oldestMinuteMs === null ? null : oldestMinuteMs * 1_000_000n;
  if (oldestFlowNs === null) return minuteNs;
  if (minuteNs === null || minuteNs >= oldestFlowNs - 60_000_000_000n) return oldestFlowNs;
  return minuteNs;
}

export function minuteOf(timeNs: bigint): number {
  const ms = Number(timeNs / 1_000_000n);
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/** The edge columns in a fixed order, for stores and tests. */
export const EDGE_COLUMNS = [
  "srcNamespace",
  "srcWorkload",
  "srcIdentity",
  "dstNamespace",
  "dstWorkload",
  "dstIdentity",
  "dstPort",
  "protocol",
  "verdict",
  "dropReason",
  "direction",
  "flowType",
] as const satisfies readonly (keyof EdgeKey)[];

/** The edge's columns in EDGE_COLUMNS order, joined by NUL: one string per flow a write counts, so spelled out (no array). */
export function edgeKeyString(e: EdgeKey): string {
  return `${e.srcNamespace}\u0000${e.srcWorkload}\u0000${e.srcIdentity}\u0000${e.dstNamespace}\u0000${e.dstWorkload}\u0000${e.dstIdentity}\u0000${e.dstPort}\u0000${e.protocol}\u0000${e.verdict}\u0000${e.dropReason}\u0000${e.direction}\u0000${e.flowType}`;
}
