import "server-only";

import { clone, toJson } from "@bufbuild/protobuf";
import { type Flow, type FlowFilter, FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { compileFlowFilters } from "@/lib/filters/compile";
import { nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import { GetFlowsDecoder, type RelayResponse } from "@/server/grpc/raw-flows";
import { log } from "@/server/log";
import type { FlowStore, KeepMode, StoredFlow } from "./store";

// A time window that reaches back as far as the flow history does: a non-following GetFlows whose
// `since` is older than what the recorder has written is answered from the store up to the seam
// (the newest flow written, minus a grace that covers the relay's sort window), then by the relay
// from the seam on. Flows of the grace period come from both: the relay's are dropped when the
// store already gave them (same key), so the joined answer has no duplicate and, as long as the
// recorder keeps up with the relay, no gap.
//
// A request without `since` (the newest N per node of a live view) goes to the relay unchanged:
// the relay holds the newest flows. Filters are applied to stored flows exactly as Hubble applies
// them (lib/filters); a filter on uuids alone (a link to one flow) is looked up by key.

/** Runs one non-following GetFlows. */
export type QueryFlows = (req: GetFlowsRequest, signal: AbortSignal) => AsyncIterable<RelayResponse>;

export interface HistorySource {
  readonly store: FlowStore;
  /** Newest flow time (ns) the recorder has written; null before the first write. */
  newestWrittenNs(): bigint | null;
  /** What the recorder keeps (default all). */
  readonly keep?: KeepMode;
}

/** Covers the relay's sort window and the recorder's batching. */
export const SEAM_GRACE_NS = 5_000_000_000n;

const MINUTE_NS = 60_000_000_000n;

/**
 * Where the relay's part of a window starts. In `rollup` the store has no forwarded L3/L4 flows:
 * the map counts them from the per-minute counts up to the last minute the recorder finished
 * (window-counts.ts) and from flows after it, so the relay is asked from a minute before that
 * minute (the map's minute was taken a moment earlier), not from the seam: what it still holds
 * of those minutes fills the gap.
 */
export function relayFromNs(seamNs: bigint, keep: KeepMode | undefined): bigint {
  if (keep !== "rollup") return seamNs;
  return (seamNs / MINUTE_NS) * MINUTE_NS - MINUTE_NS;
}

/**
 * Most stored flows one query reads. A window of days holds millions of flows; reading them all to
 * count the map and the Drops view would take minutes of CPU. A window that holds more starts
 * later, at the minute from which its newest flows fit (found from the per-minute counts), so
 * what is read still joins the relay and the live flows without a gap; a "first N" request
 * (`number`, e.g. /api/flows/history's limit) keeps its start and stops after the cap. Either way
 * the log says so; counting long windows is the per-minute edge counts' job (`/api/flows/counts`).
 */
export const MAX_STORED_FLOWS_PER_QUERY = 250_000;

export function historyBackedQuery(relay: QueryFlows, history: HistorySource, maxStored = MAX_STORED_FLOWS_PER_QUERY): QueryFlows {
  return (req, signal) => joined(relay, history, req, signal, maxStored);
}

async function* joined(relay: QueryFlows, history: HistorySource, req: GetFlowsRequest, signal: AbortSignal, maxStored: number): AsyncGenerator<RelayResponse> {
  const newest = history.newestWrittenNs();
  const sinceNs = req.since ? timestampToNs(req.since) : undefined;
  if (req.follow || sinceNs === undefined || newest === null || sinceNs > newest) {
    yield* relay(req, signal);
    return;
  }
  const untilNs = req.until ? timestampToNs(req.until) : undefined;
  const seamNs = relayFromNs(newest - SEAM_GRACE_NS, history.keep);
  const match = compileFlowFilters(req.whitelist, req.blacklist);
  const filtered = req.whitelist.length > 0 || req.blacklist.length > 0;
  const keys = uuidsOnly(req.whitelist);
  // `number` with `since`: the first N from then on (the caller caps the total).
  const limit = req.number > 0n ? Number(req.number) : Infinity;

  const storeUntil = min(untilNs, newest);
  const readFrom = limit === Infinity && !keys ? await newestThatFit(history.store, sinceNs, storeUntil, maxStored) : sinceNs;
  if (readFrom > sinceNs) {
    log.info(`flow history: a window holds more than ${maxStored} flows; reading from ${new Date(Number(readFrom / 1_000_000n)).toISOString()}`);
  }
  const fromStore = new Set<string>();
  const decoder = new GetFlowsDecoder();
  let sent = 0;
  let read = 0;
  for await (const f of history.store.flows({ sinceNs: readFrom, untilNs: storeUntil, hint: keys ? { keys } : undefined, signal })) {
    if (signal.aborted) return;
    if (++read > maxStored) {
      log.warn(`flow history: a window query stopped after its first ${maxStored} stored flows`, { since: new Date(Number(sinceNs / 1_000_000n)).toISOString() });
      return;
    }
    const response = storedResponse(f, decoder);
    if (filtered && !match(response.responseTypes.value as Flow)) continue;
    if (f.timeNs >= seamNs) fromStore.add(f.key);
    yield response;
    if (++sent >= limit) return;
  }
  if (untilNs !== undefined && untilNs < seamNs) return;

  const rest = clone(GetFlowsRequestSchema, req);
  rest.since = nsToTimestamp(sinceNs > seamNs ? sinceNs : seamNs);
  for await (const r of relay(rest, signal)) {
    if (r.responseTypes.case === "flow" && fromStore.size > 0) {
      const key = responseKey(r);
      if (key !== undefined && fromStore.has(key)) continue;
    }
    yield r;
  }
}

/** The latest minute start from which at most `max` flows (counted per minute) run to `untilNs`; `sinceNs` when all fit. */
async function newestThatFit(store: FlowStore, sinceNs: bigint, untilNs: bigint, max: number): Promise<bigint> {
  const sinceMs = Number(sinceNs / 1_000_000n);
  const untilMs = Number(untilNs / 1_000_000n);
  const perMinute = new Map<number, number>();
  for (const e of await store.edgeCounts({ sinceMs, untilMs, perMinute: true })) perMinute.set(e.minuteMs, (perMinute.get(e.minuteMs) ?? 0) + e.count);
  let total = 0;
  for (const minute of [...perMinute.keys()].sort((a, b) => b - a)) {
    total += perMinute.get(minute)!;
    if (total > max) {
      const start = BigInt(minute + 60_000) * 1_000_000n;
      return start > sinceNs ? start : sinceNs;
    }
  }
  return sinceNs;
}

function min(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}

/** The uuids a whitelist asks for, when every filter names uuids and nothing else. */
function uuidsOnly(whitelist: readonly FlowFilter[]): string[] | undefined {
  if (whitelist.length === 0) return undefined;
  const out: string[] = [];
  for (const f of whitelist) {
    const json = toJson(FlowFilterSchema, f) as Record<string, unknown>;
    const keys = Object.keys(json);
    if (keys.length !== 1 || keys[0] !== "uuid" || f.uuid.length === 0) return undefined;
    out.push(...f.uuid);
  }
  return out;
}

function responseKey(r: RelayResponse): string | undefined {
  const wire = r.wire;
  if (wire) return wire.uuid || undefined;
  return r.responseTypes.case === "flow" ? r.responseTypes.value.uuid || undefined : undefined;
}

const utf8 = new TextEncoder();

/**
 * A stored flow as the relay would have sent it: a GetFlowsResponse's bytes (flow, node_name,
 * time) decoded the same lazy way as the relay client's (by `decoder`, one per query), so the hub and
 * the NDJSON route treat it exactly like a flow from the relay.
 */
export function storedResponse(f: StoredFlow, decoder: GetFlowsDecoder): RelayResponse {
  const node = utf8.encode(f.node);
  const seconds = f.timeNs / 1_000_000_000n;
  const nanos = Number(f.timeNs % 1_000_000_000n);
  const time = [...tagged(1, varint(seconds)), ...tagged(2, varint(BigInt(nanos)))];
  const parts: number[][] = [];
  parts.push([...varint(BigInt((1 << 3) | 2)), ...varint(BigInt(f.flow.length))]);
  const head = new Uint8Array(parts[0]);
  const tail = new Uint8Array([
    ...varint(BigInt((1000 << 3) | 2)),
    ...varint(BigInt(node.length)),
    ...node,
    ...varint(BigInt((1001 << 3) | 2)),
    ...varint(BigInt(time.length)),
    ...time,
  ]);
  const bytes = new Uint8Array(head.length + f.flow.length + tail.length);
  bytes.set(head, 0);
  bytes.set(f.flow, head.length);
  bytes.set(tail, head.length + f.flow.length);
  return decoder.decode(bytes);
}

function tagged(field: number, value: number[]): number[] {
  return [...varint(BigInt(field << 3)), ...value];
}

function varint(v: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
