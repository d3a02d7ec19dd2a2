import "server-only";

import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { LostEventSource } from "@/proto/gen/flow/flow_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { StreamEvent } from "@/lib/sse";

type NodesEvent = Extract<StreamEvent, { type: "nodes" }>;
type LostEvent = Extract<StreamEvent, { type: "lost" }>;

/** The stream event for a relay node_status response. */
export function nodesEvent(state: NodeState, nodes: readonly string[], message: string): NodesEvent {
  return {
    type: "nodes",
    state: (NodeState[state] ?? "UNKNOWN_NODE_STATE") as NodesEvent["state"],
    nodes,
    ...(message ? { message } : {}),
  };
}

/** The stream event for a lost_events response. */
export function lostEvent(r: GetFlowsResponse): LostEvent | undefined {
  if (r.responseTypes.case !== "lostEvents") return undefined;
  const lost = r.responseTypes.value;
  return {
    type: "lost",
    node: r.nodeName,
    source: LostEventSource[lost.source] ?? String(lost.source),
    count: Number(lost.numEventsLost),
  };
}
