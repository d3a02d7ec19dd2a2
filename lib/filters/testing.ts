// Test-only builders: fixed timestamps, minimal flows, FlowFilters from plain objects.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { FlowFilterSchema, FlowSchema, type Flow, type FlowFilter } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilters } from "./index";

export type FlowInit = MessageInitShape<typeof FlowSchema>;
export type FilterInit = MessageInitShape<typeof FlowFilterSchema>;

const FIXED_TIME = { seconds: 1_700_000_000n, nanos: 0 };

export function flow(init: FlowInit = {}): Flow {
  return create(FlowSchema, { time: FIXED_TIME, nodeName: "kind-worker", ...(init as object) } as FlowInit);
}

export function filter(init: FilterInit): FlowFilter {
  return create(FlowFilterSchema, init);
}

/** True when the flow passes a whitelist made of the given filters (OR). */
export function passes(flowInit: FlowInit, ...filters: FilterInit[]): boolean {
  return compileFlowFilters(filters.map(filter), [])(flow(flowInit));
}

export function tcp(sourcePort: number, destinationPort: number, flags?: Record<string, boolean>): FlowInit["l4"] {
  return { protocol: { case: "TCP", value: { sourcePort, destinationPort, flags } } };
}

export function udp(sourcePort: number, destinationPort: number): FlowInit["l4"] {
  return { protocol: { case: "UDP", value: { sourcePort, destinationPort } } };
}

export interface MatchCase {
  name: string;
  flow: FlowInit;
  want: boolean;
}
