import "server-only";

import { fromJson, type JsonObject, toJson } from "@bufbuild/protobuf";
import { FlowFilterSchema, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilters } from "@/lib/filters/compile";
import { type FlowRow, toFlowRow } from "@/lib/flow-model";
import type { Grouping } from "@/lib/view-state";
import type { AggregationWindow, StoredWindowCounts } from "@/server/hub/aggregation";
import type { HubbleFilters } from "@/server/hub/hub";
import { keepsInFull } from "./records";
import { SEAM_GRACE_NS } from "./history-query";
import type { EdgeCount, FlowStore } from "./store";

// The map and the Drops view of a window that reaches into the flow history count forwarded L3/L4
// flows from the store's per-minute edge counts, not from flows: in `rollup` those flows are not
// kept at all, and in either mode a long window's query reads only its newest 250,000 stored flows.
// Counts are exact per minute, so the counted part of a window is whole minutes: from the first
// minute that starts in the window to the last minute the recorder has finished (its newest flow
// minus the relay's sort window). Before and after, flows are counted one by one as usual.
//
// Only where counts answer exactly what the flows would: a grouping the edge key can name
// (workload or identity; not app labels) and filters the key can decide — namespaces, verdicts,
// directions, protocols, identities — written symmetrically (a namespace filter is "from or to
// the namespace"). A reply is counted under its request's edge, so a one-sided filter (from a
// namespace only) would miss the replies the relay's filter matches: such views count flows.

const MINUTE_MS = 60_000;
/** Filter fields an edge key holds. */
const DECIDABLE = new Set(["sourcePod", "destinationPod", "verdict", "trafficDirection", "protocol", "sourceIdentity", "destinationIdentity"]);
const RESERVED = "reserved:";

export interface WindowCountsSource {
  readonly store: FlowStore;
  /** Newest flow time (ns) the recorder has written; null before the first write. */
  newestWrittenNs(): bigint | null;
}

/** The counted part of the window, or undefined when counts cannot stand in for its flows. */
export function storedWindowCounts(
  source: WindowCountsSource,
  window: AggregationWindow,
  filters: HubbleFilters,
  grouping: Grouping,
  nowMs: number,
): StoredWindowCounts | undefined {
  if (grouping === "app" || !decidable(filters)) return undefined;
  const newest = source.newestWrittenNs();
  if (newest === null) return undefined;
  const startMs = window.kind === "sliding" ? nowMs - window.ms : window.fromMs;
  // `toMs` is inclusive: a window to 10:59:59.999 holds the minute 10:59 whole.
  const endMs = window.kind === "fixed" && window.toMs !== undefined ? window.toMs + 1 : Infinity;
  const fromMs = Math.ceil(startMs / MINUTE_MS) * MINUTE_MS;
  const finishedMs = Number((newest - SEAM_GRACE_NS) / 1_000_000n);
  const untilMs = Math.floor(Math.min(finishedMs, endMs) / MINUTE_MS) * MINUTE_MS;
  if (untilMs <= fromMs) return undefined;
  const unfiltered = filters.whitelist.length === 0 && filters.blacklist.length === 0;
  const match = compileFlowFilters(filters.whitelist, filters.blacklist);
  const matches = (json: JsonObject): boolean => {
    if (unfiltered) return true;
    try {
      return match(fromJson(FlowSchema, json, { ignoreUnknownFields: true }));
    } catch {
      // A value the Flow message has no name for (an enum from a newer Cilium): not decidable, left out.
      return false;
    }
  };
  return {
    fromMs,
    untilMs,
    covers: (row) => !keepsInFull(row, "rollup"),
    async load() {
      const counts = await source.store.edgeCounts({ sinceMs: fromMs, untilMs: untilMs - 1, perMinute: true });
      const out: { row: FlowRow; count: number }[] = [];
      for (const c of counts) {
        if (c.minuteMs < fromMs || c.minuteMs >= untilMs) continue;
        const json = flowJsonOf(c);
        const row = toFlowRow(json);
        if (keepsInFull(row, "rollup")) continue;
        if (!matches(json)) continue;
        out.push({ row, count: c.count });
      }
      return out;
    },
  };
}

/** Whether every filter names only fields an edge key holds, and the filters read the same with source and destination swapped. */
function decidable(filters: HubbleFilters): boolean {
  for (const list of [filters.whitelist, filters.blacklist]) {
    const own: string[] = [];
    const swapped: string[] = [];
    for (const f of list) {
      const json = toJson(FlowFilterSchema, f) as Record<string, unknown>;
      for (const [k, v] of Object.entries(json)) {
        if (!DECIDABLE.has(k)) return false;
        // A pod filter decides on the namespace only ("ns/"), not on pod names.
        if ((k === "sourcePod" || k === "destinationPod") && !(v as string[]).every((p) => /^[^/]+\/$/.test(p))) return false;
      }
      own.push(canonical(json));
      swapped.push(canonical(swapSides(json)));
    }
    if (own.sort().join("\n") !== swapped.sort().join("\n")) return false;
  }
  return true;
}

function swapSides(json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    const key = k.startsWith("source") ? `destination${k.slice(6)}` : k.startsWith("destination") ? `source${k.slice(11)}` : k;
    out[key] = v;
  }
  return out;
}

function canonical(json: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(json)
      .sort()
      .map((k) => [k, json[k]]),
  );
}

/** A flow of the edge as Hubble's JSON: what the map counts it under, at its minute's start. */
function flowJsonOf(c: EdgeCount): JsonObject {
  const l4: JsonObject = {};
  if (c.protocol !== "") l4[c.protocol] = c.dstPort > 0 ? { destination_port: c.dstPort } : {};
  return {
    time: new Date(c.minuteMs).toISOString(),
    ...(c.verdict ? { verdict: c.verdict } : {}),
    ...(c.dropReason ? { drop_reason_desc: c.dropReason } : {}),
    ...(c.flowType ? { Type: c.flowType } : {}),
    ...(c.direction ? { traffic_direction: c.direction } : {}),
    source: endpointJson(c.srcNamespace, c.srcWorkload, c.srcIdentity),
    destination: endpointJson(c.dstNamespace, c.dstWorkload, c.dstIdentity),
    ...(c.protocol !== "" ? { l4 } : {}),
    is_reply: false,
  };
}

function endpointJson(namespace: string, name: string, identity: number): JsonObject {
  const json: JsonObject = { identity };
  if (namespace) json.namespace = namespace;
  if (name.startsWith(RESERVED)) json.labels = [name];
  else if (name) json.workloads = [{ name }];
  return json;
}
