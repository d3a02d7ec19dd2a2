import "server-only";

import type { JsonObject } from "@bufbuild/protobuf";
import type { Flow } from "@/proto/gen/flow/flow_pb";
import { flowToBoundedJson } from "@/lib/flow-json-fast";
import { contentKey } from "@/lib/flow-model";
import { encodeEvent } from "@/lib/sse";

/** A batch of flows as every subscriber of one upstream receives it; encoded once, shared. */
export interface FlowBatch {
  readonly flows: readonly JsonObject[];
  /** uuid or content key of each flow, same order. */
  readonly keys: readonly string[];
  /** Flow times in ms, same order; for de-duplication windows. */
  readonly timesMs: readonly number[];
  readonly frame: string;
}

/** Hubble's JSON form of a flow, size-bounded (flow text is workload-controlled); the hot path. */
export function flowJson(flow: Flow): JsonObject {
  return flowToBoundedJson(flow);
}

export function flowKeyOf(json: JsonObject): string {
  return typeof json.uuid === "string" && json.uuid !== "" ? json.uuid : contentKey(json);
}

export function makeBatch(flows: JsonObject[], history = false): FlowBatch {
  return {
    flows,
    keys: flows.map(flowKeyOf),
    timesMs: flows.map((f) => (typeof f.time === "string" ? Date.parse(f.time) : 0)),
    frame: encodeEvent(history ? { type: "flows", flows, history } : { type: "flows", flows }),
  };
}

/** The same batch without the flows whose keys are in `seen`; the batch itself when nothing is removed. */
export function withoutSeen(batch: FlowBatch, seen: ReadonlySet<string>): FlowBatch | undefined {
  if (!batch.keys.some((k) => seen.has(k))) return batch;
  const flows = batch.flows.filter((_, i) => !seen.has(batch.keys[i]));
  return flows.length > 0 ? makeBatch(flows) : undefined;
}
