import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DropReason, TrafficDirection, Verdict } from "@/proto/gen/flow/flow_pb";
import { passes, type FilterInit, type MatchCase } from "./testing";

describe("flow-level filters", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { uuid: ["a-1", "b-2"] },
      cases: [
        { name: "uuid matches exactly", flow: { uuid: "b-2" }, want: true },
        { name: "uuid misses others", flow: { uuid: "b-22" }, want: false },
      ],
    },
    {
      filter: { eventType: [{ type: 1 }] },
      cases: [
        { name: "event_type matches the type", flow: { eventType: { type: 1, subType: 133 } }, want: true },
        { name: "event_type misses other types", flow: { eventType: { type: 4 } }, want: false },
        { name: "event_type never matches a flow without event_type", flow: {}, want: false },
      ],
    },
    {
      filter: { eventType: [{ type: 4, matchSubType: true, subType: 0 }] },
      cases: [
        { name: "match_sub_type compares the sub type (to-endpoint)", flow: { eventType: { type: 4, subType: 0 } }, want: true },
        { name: "match_sub_type misses other sub types", flow: { eventType: { type: 4, subType: 3 } }, want: false },
      ],
    },
    {
      filter: { eventType: [{ type: 0 }] },
      cases: [{ name: "event type 0 is a wildcard", flow: { eventType: { type: 129 } }, want: true }],
    },
    {
      filter: { eventType: [{ type: 0, matchSubType: true, subType: 5 }] },
      cases: [
        { name: "a wildcard type can still pin the sub type", flow: { eventType: { type: 4, subType: 5 } }, want: true },
        { name: "a wildcard type with sub type misses others", flow: { eventType: { type: 4, subType: 6 } }, want: false },
      ],
    },
    {
      filter: { verdict: [Verdict.DROPPED, Verdict.AUDIT] },
      cases: [
        { name: "verdict is membership", flow: { verdict: Verdict.AUDIT }, want: true },
        { name: "verdict misses others", flow: { verdict: Verdict.FORWARDED }, want: false },
      ],
    },
    {
      filter: { dropReasonDesc: [DropReason.POLICY_DENIED] },
      cases: [
        { name: "drop_reason_desc matches dropped flows with that reason", flow: { verdict: Verdict.DROPPED, dropReasonDesc: DropReason.POLICY_DENIED }, want: true },
        { name: "drop_reason_desc misses other reasons", flow: { verdict: Verdict.DROPPED, dropReasonDesc: DropReason.POLICY_DENY }, want: false },
        { name: "drop_reason_desc only matches DROPPED flows", flow: { verdict: Verdict.AUDIT, dropReasonDesc: DropReason.POLICY_DENIED }, want: false },
      ],
    },
    {
      filter: { reply: [true] },
      cases: [
        { name: "reply true matches is_reply true", flow: { isReply: true }, want: true },
        { name: "reply true misses is_reply false", flow: { isReply: false }, want: false },
        { name: "an unknown is_reply never matches", flow: {}, want: false },
        { name: "the deprecated reply field is ignored", flow: { reply: true }, want: false },
        { name: "an unknown is_reply on a DROPPED flow is false, not true", flow: { verdict: Verdict.DROPPED }, want: false },
      ],
    },
    {
      filter: { reply: [false] },
      cases: [
        { name: "reply false matches is_reply false", flow: { isReply: false }, want: true },
        { name: "reply false misses an unknown is_reply", flow: { verdict: Verdict.FORWARDED }, want: false },
        { name: "reply false matches a DROPPED flow with unknown is_reply", flow: { verdict: Verdict.DROPPED }, want: true },
      ],
    },
    {
      filter: { trafficDirection: [TrafficDirection.INGRESS] },
      cases: [
        { name: "traffic_direction is membership", flow: { trafficDirection: TrafficDirection.INGRESS }, want: true },
        { name: "traffic_direction misses others", flow: { trafficDirection: TrafficDirection.EGRESS }, want: false },
      ],
    },
    {
      filter: { traceId: ["4bf92f3577b34da6a3ce929d0e0e4736"] },
      cases: [
        { name: "trace_id matches the trace parent", flow: { traceContext: { parent: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736" } } }, want: true },
        { name: "trace_id misses flows without trace context", flow: {}, want: false },
      ],
    },
    {
      filter: { ipTraceId: [42n] },
      cases: [
        { name: "ip_trace_id matches the trace id", flow: { ipTraceId: { traceId: 42n } }, want: true },
        { name: "ip_trace_id misses others", flow: { ipTraceId: { traceId: 43n } }, want: false },
      ],
    },
    {
      filter: { ipTraceId: [0n] },
      cases: [{ name: "ip_trace_id 0 does not match a flow without ip_trace_id", flow: {}, want: false }],
    },
    {
      filter: { interface: [{ index: 7 }, { name: "eth0" }] },
      cases: [
        { name: "interface index must be equal when set", flow: { interface: { index: 7, name: "lxc1" } }, want: true },
        { name: "interface name must be equal when set", flow: { interface: { index: 2, name: "eth0" } }, want: true },
        { name: "interface misses other interfaces", flow: { interface: { index: 2, name: "eth1" } }, want: false },
        { name: "interface never matches a flow without interface", flow: {}, want: false },
      ],
    },
    {
      filter: { interface: [{ index: 7, name: "eth0" }] },
      cases: [{ name: "index and name of one entry are AND'ed", flow: { interface: { index: 7, name: "eth1" } }, want: false }],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
