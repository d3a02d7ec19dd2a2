import "server-only";

import { create, type JsonObject } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { flowToBoundedJson } from "@/lib/flow-json";
import { boundFlowJson, contentKey, type FlowRow, isPriorityFlow, toFlowRow } from "@/lib/flow-model";
import { encodeEvent } from "@/lib/sse";
import { rowFromWire } from "@/server/grpc/flow-row-wire";
import type { RelayResponse, WireFlow } from "@/server/grpc/raw-flows";

/** One flow as the hub batches it: its bounded jsonpb, as UTF-8, and what it is matched by. */
export interface BatchFlow {
  readonly json: Uint8Array;
  /** uuid (as the JSON has it) or content key; for de-duplication. */
  readonly key: string;
  /** Flow time in ms (0 without one); for de-duplication windows. */
  readonly timeMs: number;
  /** The Flow's wire record, when the relay client decoded it lazily: its row is read from these bytes, not from the JSON. */
  readonly wire?: Pick<WireFlow, "bytes" | "uuid" | "time">;
  /** The row (and the JSON parsed, when read), once someone needed them (`parsedFlow`); shared by every reader of the batch. */
  parsed?: ParsedFlow;
}

export interface ParsedFlow {
  /** The flow's JSON object. For a row read from the wire, parsed on first read (only drops are). */
  readonly flow: JsonObject;
  readonly row: FlowRow;
  /** `isPriorityFlow(row)`. */
  readonly priority: boolean;
}

/**
 * The flow's row, and its JSON object when read, computed at most once per flow (the sampler and
 * the aggregation both read them). The hot path reads the row from the wire bytes
 * (server/grpc/flow-row-wire.ts, the same row as `toFlowRow` of the JSON) and never parses the
 * JSON; a flow without a wire record, or one the wire reader declines, parses it.
 */
export function parsedFlow(f: BatchFlow): ParsedFlow {
  if (f.parsed) return f.parsed;
  const fromWire = f.wire && rowFromWire(f.wire);
  if (fromWire) return (f.parsed = new WireParsedFlow(f, fromWire));
  const flow = jsonObjectOf(f.json);
  const row = toFlowRow(flow);
  return (f.parsed = { flow, row, priority: isPriorityFlow(row) });
}

/** A row read from the wire; the JSON object is parsed only if someone reads `flow`. */
class WireParsedFlow implements ParsedFlow {
  readonly priority: boolean;
  private object: JsonObject | undefined;

  constructor(
    private readonly source: Pick<BatchFlow, "json">,
    readonly row: FlowRow,
  ) {
    this.priority = isPriorityFlow(row);
  }

  get flow(): JsonObject {
    return (this.object ??= jsonObjectOf(this.source.json));
  }
}

function jsonObjectOf(json: Uint8Array): JsonObject {
  try {
    const value: unknown = JSON.parse(text.decode(json));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
  } catch {
    return {};
  }
}

/** A batch of flows as every subscriber of one upstream receives it; encoded once, shared. */
export interface FlowBatch {
  readonly flows: readonly BatchFlow[];
  /** The `flows` SSE frame, exactly `encodeEvent({ type: "flows", flows, history? })` in UTF-8. */
  readonly frame: Uint8Array;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

/**
 * The flow of a flow response. The hot path: a flow with its wire record (server/grpc/raw-flows.ts),
 * its row read from the bytes and its JSON made only when someone reads `json` (a flow a browser
 * is sent, a drop's details): transcoded from the wire, or, where the transcoder declines, Hubble's
 * JSON form from the message by the reference (lib/flow-json.ts), size-bounded (flow text is
 * workload-controlled). Both give the same bytes. A message built in memory (no wire record) takes
 * the reference at once.
 */
export function batchFlow(response: RelayResponse): BatchFlow {
  const wire = response.wire;
  if (wire) {
    const time = wire.time;
    // What Date.parse gives for the RFC 3339 text: nanoseconds truncated to ms.
    const timeMs = time ? time.seconds * 1000 + Math.floor(time.nanos / 1e6) : 0;
    if (wire.uuid !== "") return new WireBatchFlow(response, wire, boundFlowJson(wire.uuid) as string, timeMs);
    // Without uuid the key is the content key: the row's id (`toFlowRow` takes it for one), read now.
    const flow = new WireBatchFlow(response, wire, "", timeMs);
    flow.key = parsedFlow(flow).row.id;
    return flow;
  }
  if (response.responseTypes.case !== "flow") throw new Error("batchFlow: not a flow response");
  const json = flowToBoundedJson(response.responseTypes.value);
  return {
    json: utf8.encode(JSON.stringify(json)),
    key: typeof json.uuid === "string" && json.uuid !== "" ? json.uuid : contentKey(json),
    timeMs: typeof json.time === "string" ? Date.parse(json.time) : 0,
  };
}

/** A flow with its wire record; its JSON is made on first read. */
class WireBatchFlow implements BatchFlow {
  parsed?: ParsedFlow = undefined;
  private bytes: Uint8Array | undefined;

  constructor(
    private readonly response: RelayResponse,
    readonly wire: WireFlow,
    public key: string,
    readonly timeMs: number,
  ) {}

  get json(): Uint8Array {
    return (this.bytes ??= this.wire.json ?? referenceJson(this.response, this.wire));
  }
}

/**
 * The reference's JSON of a flow the transcoder declined. For bytes `fromBinary` refuses (a broken
 * or hostile relay: the deserializer reads only a flow's envelope and identity), a flow that says
 * so in its summary, with its uuid, time and node: shown as text, never a crash.
 */
function referenceJson(response: RelayResponse, wire: WireFlow): Uint8Array {
  let json: JsonObject;
  try {
    json = flowToBoundedJson(response.responseTypes.value as Flow);
  } catch (err) {
    const time = wire.time && { seconds: BigInt(wire.time.seconds), nanos: wire.time.nanos };
    const reason = err instanceof Error ? err.message : String(err);
    json = flowToBoundedJson(create(FlowSchema, { uuid: wire.uuid, time, nodeName: response.nodeName, Summary: `undecodable flow: ${reason}` }));
  }
  return utf8.encode(JSON.stringify(json));
}

// `encodeEvent({ type: "flows", flows })` around the flows' JSON, which JSON.stringify would have
// joined with commas; the test pins the equality.
const FRAME_HEAD = utf8.encode(encodeEvent({ type: "flows", flows: [] }).split("[]")[0] + "[");
const LIVE_TAIL = utf8.encode("]}\n\n");
const HISTORY_TAIL = utf8.encode(`]${encodeEvent({ type: "flows", flows: [], history: true }).split("[]")[1]}`);

/** A batch; its frame (and so its flows' JSON) is encoded when first read: a browser over its budget gets a sample, never the whole. */
export function makeBatch(flows: BatchFlow[], history = false): FlowBatch {
  return new EncodedOnRead(flows, history);
}

class EncodedOnRead implements FlowBatch {
  private bytes: Uint8Array | undefined;

  constructor(
    readonly flows: readonly BatchFlow[],
    private readonly history: boolean,
  ) {}

  get frame(): Uint8Array {
    return (this.bytes ??= encodeFrame(this.flows, this.history));
  }
}

function encodeFrame(flows: readonly BatchFlow[], history: boolean): Uint8Array {
  const tail = history ? HISTORY_TAIL : LIVE_TAIL;
  const jsons = flows.map((f) => f.json);
  let size = FRAME_HEAD.length + tail.length + Math.max(0, flows.length - 1);
  for (const j of jsons) size += j.length;
  const frame = new Uint8Array(size);
  frame.set(FRAME_HEAD, 0);
  let at = FRAME_HEAD.length;
  for (let i = 0; i < jsons.length; i++) {
    if (i > 0) frame[at++] = 0x2c;
    frame.set(jsons[i], at);
    at += jsons[i].length;
  }
  frame.set(tail, at);
  return frame;
}

/** The same batch without the flows whose keys are in `seen`; the batch itself when nothing is removed. */
export function withoutSeen(batch: FlowBatch, seen: ReadonlySet<string>): FlowBatch | undefined {
  if (!batch.flows.some((f) => seen.has(f.key))) return batch;
  const flows = batch.flows.filter((f) => !seen.has(f.key));
  return flows.length > 0 ? makeBatch(flows) : undefined;
}
