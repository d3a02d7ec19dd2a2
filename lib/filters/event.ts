import { Verdict, type FlowFilter } from "@/proto/gen/flow/flow_pb";
import { isSet, type FieldMatcher } from "./types";

/** Flow-level fields compared by equality or membership. */

export function buildUUIDMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.uuid)) return;
  const wanted = new Set(f.uuid);
  out.push((flow) => wanted.has(flow.uuid));
}

/**
 * type 0 is a wildcard; sub_type is compared only when match_sub_type is set.
 * A flow without event_type never matches.
 */
export function buildEventTypeMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.eventType)) return;
  const types = f.eventType.map((t) => ({ type: t.type, matchSubType: t.matchSubType, subType: t.subType }));
  out.push((flow) => {
    const ev = flow.eventType;
    if (!ev) return false;
    for (let i = 0; i < types.length; i++) {
      const t = types[i];
      if (t.type !== 0 && t.type !== ev.type) continue;
      if (t.matchSubType && t.subType !== ev.subType) continue;
      return true;
    }
    return false;
  });
}

export function buildVerdictMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.verdict)) return;
  const wanted = new Set(f.verdict);
  out.push((flow) => wanted.has(flow.verdict));
}

/** Only DROPPED flows have a meaningful drop reason; anything else fails the filter. */
export function buildDropReasonMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.dropReasonDesc)) return;
  const wanted = new Set(f.dropReasonDesc);
  out.push((flow) => flow.verdict === Verdict.DROPPED && wanted.has(flow.dropReasonDesc));
}

/**
 * Compares is_reply; the deprecated `reply` field is ignored. An unknown is_reply
 * never matches, except on DROPPED flows, which Hubble treats as is_reply=false
 * for clients written against the old field.
 */
export function buildReplyMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.reply)) return;
  const wantTrue = f.reply.includes(true);
  const wantFalse = f.reply.includes(false);
  out.push((flow) => {
    const isReply = flow.isReply;
    if (isReply === undefined || isReply === null) return flow.verdict === Verdict.DROPPED && wantFalse;
    return isReply ? wantTrue : wantFalse;
  });
}

export function buildTrafficDirectionMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.trafficDirection)) return;
  const wanted = new Set(f.trafficDirection);
  out.push((flow) => wanted.has(flow.trafficDirection));
}

/** A flow without trace context has trace id "", which an explicit "" entry matches, as in Hubble. */
export function buildTraceIDMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.traceId)) return;
  const wanted = new Set(f.traceId);
  out.push((flow) => wanted.has(flow.traceContext?.parent?.traceId ?? ""));
}

/** A flow without ip_trace_id never matches, not even an entry of 0. */
export function buildIPTraceIDMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.ipTraceId)) return;
  const wanted = new Set(f.ipTraceId.map((id) => BigInt(id)));
  out.push((flow) => {
    const trace = flow.ipTraceId;
    if (!trace) return false;
    const id = trace.traceId;
    return wanted.has(typeof id === "bigint" ? id : BigInt(id));
  });
}

/** index > 0 must be equal, a non-empty name must be equal; a flow without interface never matches. */
export function buildInterfaceMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.interface)) return;
  const entries = f.interface.map((i) => ({ index: i.index, name: i.name }));
  out.push((flow) => {
    const iface = flow.interface;
    if (!iface) return false;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.index > 0 && e.index !== iface.index) continue;
      if (e.name !== "" && e.name !== iface.name) continue;
      return true;
    }
    return false;
  });
}
