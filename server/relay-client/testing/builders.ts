import "server-only";
import { create } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSchema, LostEventSource, Verdict } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState, NodeStatusEventSchema } from "@/proto/gen/relay/relay_pb";
import { type EpochNs, nsToTimestamp } from "@/lib/timestamp";

// Small builders for GetFlowsResponse fixtures, all at fixed times.

export const T0: EpochNs = 1_714_564_800_000_000_000n; // 2024-05-01T12:00:00Z
export const sec = (s: number): EpochNs => BigInt(Math.round(s * 1e9));

export function flowAt(timeNs: EpochNs, opts: { uuid?: string; node?: string; srcPort?: number } = {}): GetFlowsResponse {
  const node = opts.node ?? "kind-worker";
  const time = nsToTimestamp(timeNs);
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "flow",
      value: create(FlowSchema, {
        time,
        uuid: opts.uuid ?? "",
        nodeName: node,
        verdict: Verdict.FORWARDED,
        IP: { source: "10.0.0.1", destination: "10.0.0.2" },
        l4: { protocol: { case: "TCP", value: { sourcePort: opts.srcPort ?? 40000, destinationPort: 80 } } },
        eventType: { type: 4 },
      }),
    },
    nodeName: node,
    time,
  });
}

export function nodeStatusAt(timeNs: EpochNs, state: NodeState, nodes: string[], message = ""): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "nodeStatus",
      value: create(NodeStatusEventSchema, { stateChange: state, nodeNames: nodes, message }),
    },
    nodeName: "relay",
    time: nsToTimestamp(timeNs),
  });
}

export function lostAt(timeNs: EpochNs, count: bigint, node = "kind-worker"): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "lostEvents",
      value: create(LostEventSchema, { source: LostEventSource.HUBBLE_RING_BUFFER, numEventsLost: count }),
    },
    nodeName: node,
    time: nsToTimestamp(timeNs),
  });
}

export function uuidOf(res: GetFlowsResponse): string {
  return res.responseTypes.case === "flow" ? res.responseTypes.value.uuid : "";
}
