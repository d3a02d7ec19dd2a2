import "server-only";

import { toBinary, type JsonObject } from "@bufbuild/protobuf";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { type FlowEndpointView, type FlowRow, toFlowRow } from "@/lib/flow-model";
import { orientedEndpoints } from "@/lib/service-map/ids";
import { timestampToNs } from "@/lib/timestamp";
import { batchFlow, parsedFlow } from "@/server/hub/batch";
import type { RelayResponse } from "@/server/grpc/raw-flows";
import type { EdgeKey, FlowRecord, KeepMode } from "./store";
import { recordFromWire } from "./wire-record";

// A flow response → what the store keeps of it: the Flow's protobuf bytes as the relay sent them
// (never re-encoded on the hot path), its key and time, and the edge it counts under. Read from
// the wire bytes when it can (wire-record.ts), else from the flow's JSON (the same answer).

/** Verdicts of flows that, without L7, are only counted in `rollup` mode. */
const ROLLED_UP_VERDICTS = new Set(["FORWARDED", "TRACED", "TRANSLATED", "REDIRECTED"]);

/**
 * Whether a flow is kept in full: always in `all` mode; in `rollup` mode drops, audits, errors,
 * L7 flows and anything unusual are, forwarded L3/L4 flows are not.
 */
export function keepsInFull(row: FlowRow, mode: KeepMode): boolean {
  if (mode === "all") return true;
  return !(ROLLED_UP_VERDICTS.has(row.verdict) && row.l7 === undefined && row.flowType !== "L7");
}

/** The record of a flow response; undefined for anything that is not a flow. */
export function flowRecord(response: RelayResponse, mode: KeepMode): FlowRecord | undefined {
  if (response.responseTypes.case !== "flow") return undefined;
  const bytes = response.wire?.bytes;
  const fromWire = response.wire && recordFromWire(response.wire, response.nodeName, mode);
  if (fromWire) return fromWire;
  const batch = batchFlow(response);
  const { row } = parsedFlow(batch);
  const flow = bytes ?? toBinary(FlowSchema, response.responseTypes.value);
  const wireTime = flowTimeNs(response, row);
  return {
    key: batch.key,
    timeNs: wireTime,
    node: row.node || response.nodeName,
    flow,
    keep: keepsInFull(row, mode),
    edge: edgeKeyOf(row),
  };
}

/** The flow's time to the nanosecond (the row has only ms); 0 without one. */
function flowTimeNs(response: RelayResponse, row: FlowRow): bigint {
  const wire = response.wire;
  if (wire) return wire.time ? BigInt(wire.time.seconds) * 1_000_000_000n + BigInt(wire.time.nanos) : 0n;
  if (response.responseTypes.case === "flow" && response.responseTypes.value.time) {
    return timestampToNs(response.responseTypes.value.time);
  }
  return nsFromRfc3339(row.time) ?? 0n;
}

const RFC3339 = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

export function nsFromRfc3339(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0") || "0");
}

/** The edge as the map draws it: from the side that opened the connection (replies swapped back), to the server's port. */
export function edgeKeyOf(row: FlowRow): EdgeKey {
  const { from, to } = orientedEndpoints(row);
  return {
    srcNamespace: from.namespace,
    srcWorkload: endpointName(from),
    srcIdentity: from.identity,
    dstNamespace: to.namespace,
    dstWorkload: endpointName(to),
    dstIdentity: to.identity,
    dstPort: to.port ?? 0,
    protocol: row.l4Protocol,
    verdict: row.verdict,
    dropReason: row.verdict === "DROPPED" ? row.dropReason : "",
    direction: row.direction,
    flowType: row.flowType,
  };
}

/** The workload, else the pod, else the reserved entity (world, host, …), else the IP. */
function endpointName(ep: FlowEndpointView): string {
  return ep.workload || ep.pod || (ep.entity ? `reserved:${ep.entity}` : "") || ep.ip;
}

/** The record of a flow given as its JSON object and protobuf bytes (tests, imports). */
export function recordOf(flowJson: JsonObject, flow: Uint8Array, mode: KeepMode): FlowRecord {
  const row = toFlowRow(flowJson);
  return {
    key: row.id,
    timeNs: nsFromRfc3339(row.time) ?? 0n,
    node: row.node,
    flow,
    keep: keepsInFull(row, mode),
    edge: edgeKeyOf(row),
  };
}
