// Pins wire facts of the Hubble API (see shared/hubble-api-facts.md) against the
// generated descriptors, so an edit to a .proto that would break talking to a
// real Hubble Relay fails here rather than in a cluster.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { DescEnum, DescMessage } from "@bufbuild/protobuf";
import { DropReasonSchema, EndpointSchema, FlowFilterSchema, FlowSchema, IPSchema, LostEventSchema, TraceObservationPointSchema, VerdictSchema } from "@/proto/gen/flow/flow_pb";
import { GetFlowsRequestSchema, GetFlowsResponseSchema, Observer, ServerStatusResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeStateSchema, NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { ChangeNotificationTypeSchema, Peer } from "@/proto/gen/peer/peer_pb";

function fieldNumber(desc: DescMessage, name: string): number | undefined {
  return desc.fields.find((f) => f.name === name)?.number;
}

function enumValue(desc: DescEnum, name: string): number | undefined {
  return desc.values.find((v) => v.name === name)?.number;
}

const fieldTable: [DescMessage, Record<string, number>][] = [
  [
    FlowSchema,
    {
      time: 1,
      verdict: 2,
      drop_reason: 3,
      IP: 5,
      l4: 6,
      source: 8,
      destination: 9,
      Type: 10,
      node_name: 11,
      reply: 16,
      event_type: 19,
      traffic_direction: 22,
      drop_reason_desc: 25,
      is_reply: 26,
      uuid: 34,
      auth_type: 35,
      trace_reason: 36,
      node_labels: 37,
      tunnel: 39,
      ip_trace_id: 40,
      emitter: 41,
      egress_allowed_by: 21001,
      ingress_allowed_by: 21002,
      egress_denied_by: 21004,
      ingress_denied_by: 21005,
      policy_log: 21006,
      aggregate: 21007,
      Summary: 100000,
      extensions: 150000,
    },
  ],
  [EndpointSchema, { ID: 1, identity: 2, namespace: 3, labels: 4, pod_name: 5, workloads: 6, cluster_name: 7 }],
  [IPSchema, { source: 1, destination: 2, ipVersion: 3, encrypted: 4, source_xlated: 5 }],
  [LostEventSchema, { source: 1, num_events_lost: 2, cpu: 3, first: 4, last: 5 }],
  [
    FlowFilterSchema,
    {
      source_ip: 1,
      source_pod: 2,
      verdict: 5,
      event_type: 6,
      node_name: 24,
      uuid: 29,
      traffic_direction: 30,
      drop_reason_desc: 33,
      source_ip_xlated: 34,
      interface: 35,
      node_labels: 36,
      source_cluster_name: 37,
      destination_cluster_name: 38,
      ip_trace_id: 39,
      encrypted: 40,
      experimental: 999,
    },
  ],
  [GetFlowsRequestSchema, { number: 1, follow: 3, blacklist: 5, whitelist: 6, since: 7, until: 8, first: 9, field_mask: 10, experimental: 999, extensions: 150000 }],
  [GetFlowsResponseSchema, { flow: 1, node_status: 2, lost_events: 3, node_name: 1000, time: 1001 }],
  [ServerStatusResponseSchema, { num_flows: 1, max_flows: 2, seen_flows: 3, uptime_ns: 4, flows_rate: 9 }],
  [NodeStatusEventSchema, { state_change: 1, node_names: 2, message: 3 }],
];

describe("field numbers match upstream Hubble", () => {
  for (const [desc, fields] of fieldTable) {
    it(desc.typeName, () => {
      for (const [name, number] of Object.entries(fields)) {
        assert.equal(fieldNumber(desc, name), number, `${desc.typeName}.${name}`);
      }
    });
  }

  it("FlowFilter.Experimental carries cel_expression as field 1", () => {
    const experimental = FlowFilterSchema.nestedMessages.find((m) => m.name === "Experimental");
    assert.ok(experimental);
    assert.equal(fieldNumber(experimental, "cel_expression"), 1);
  });

  it("GetFlowsResponse keeps flow, node_status and lost_events in one oneof", () => {
    const oneof = GetFlowsResponseSchema.oneofs.find((o) => o.name === "response_types");
    assert.deepStrictEqual(
      oneof?.fields.map((f) => f.name),
      ["flow", "node_status", "lost_events"],
    );
  });
});

describe("enum values match upstream Hubble", () => {
  const enumTable: [DescEnum, Record<string, number>][] = [
    [VerdictSchema, { VERDICT_UNKNOWN: 0, FORWARDED: 1, DROPPED: 2, ERROR: 3, AUDIT: 4, REDIRECTED: 5, TRACED: 6, TRANSLATED: 7 }],
    // 133 is the default deny, 181 an explicit deny rule: easy to mix up.
    [DropReasonSchema, { DROP_REASON_UNKNOWN: 0, POLICY_DENIED: 133, POLICY_DENY: 181, AUTH_REQUIRED: 189, DROP_PUNT_PROXY: 205 }],
    [TraceObservationPointSchema, { UNKNOWN_POINT: 0, TO_PROXY: 1, FROM_ENDPOINT: 5, TO_NETWORK: 11, TO_ENDPOINT: 101 }],
    [NodeStateSchema, { UNKNOWN_NODE_STATE: 0, NODE_CONNECTED: 1, NODE_UNAVAILABLE: 2, NODE_GONE: 3, NODE_ERROR: 4 }],
    [ChangeNotificationTypeSchema, { UNKNOWN: 0, PEER_ADDED: 1, PEER_DELETED: 2, PEER_UPDATED: 3 }],
  ];
  for (const [desc, values] of enumTable) {
    it(desc.typeName, () => {
      for (const [name, number] of Object.entries(values)) {
        assert.equal(enumValue(desc, name), number, `${desc.typeName}.${name}`);
      }
    });
  }

  it("DropReason has every drop code from 130 to 205 except the unassigned 159", () => {
    const numbers = new Set(DropReasonSchema.values.map((v) => v.number));
    for (let code = 130; code <= 205; code++) {
      assert.equal(numbers.has(code), code !== 159, `drop code ${code}`);
    }
  });
});

describe("services keep their gRPC paths", () => {
  it("observer.Observer", () => {
    assert.equal(Observer.typeName, "observer.Observer");
    assert.deepStrictEqual(
      Observer.methods.map((m) => [m.name, m.methodKind]),
      [
        ["GetFlows", "server_streaming"],
        ["GetAgentEvents", "server_streaming"],
        ["GetDebugEvents", "server_streaming"],
        ["GetNodes", "unary"],
        ["GetNamespaces", "unary"],
        ["ServerStatus", "unary"],
      ],
    );
  });

  it("peer.Peer", () => {
    assert.equal(Peer.typeName, "peer.Peer");
    assert.deepStrictEqual(
      Peer.methods.map((m) => [m.name, m.methodKind]),
      [["Notify", "server_streaming"]],
    );
  });
});
