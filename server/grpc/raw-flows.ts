import "server-only";

// GetFlows responses for the server's stream path, decoded lazily. A `GetFlowsDecoder` reads only
// the envelope of a flow response (node_name, time) and the Flow's uuid and time; the Flow stays
// bytes until someone reads `responseTypes.value` (then it is `fromBinary`'d once, exactly as
// before). The response carries its flow's wire record explicitly (`response.wire`): the Flow's
// bytes as the relay sent them, its uuid and time, and its bounded jsonpb transcoded straight from
// the wire (flow-json-transcoder.ts) on first read of `json`. Every other response, and any flow
// response whose envelope or identity is not the plain one (unknown or repeated envelope fields, a
// uuid that is not UTF-8, an odd time), is decoded by `fromBinary` as before and has no `wire`.
//
// The JSON is transcoded on demand because most flows never need it: at 20,000 flows/s a browser
// gets at most a budget of them (server/hub/sampler.ts), and the map reads rows from the bytes
// (flow-row-wire.ts). The price: a Flow whose inner bytes `fromBinary` would refuse no longer fails
// the call in the deserializer (only its envelope and identity are read there); its `json` is
// undefined, as for a flow the transcoder declines, and the consumer's fallback, the reference
// (lib/flow-json.ts) through `responseTypes.value`, throws for it (server/hub/batch.ts shows such
// a flow as undecodable). Sharp edge: `responseTypes.value` of such a response is a getter. A copy
// made with `clone()` or `create()` has no `wire` (those copy proto fields only); a consumer then
// computes the same JSON from the message with the reference.

import * as grpc from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { type FlowJsonTranscoder, createFlowJsonTranscoder } from "./flow-json-transcoder";
import { type GrpcClientConstructor, type ObserverMethods, observerServiceDefinition } from "./service-definition";

/** A flow response's Flow as read from the wire. */
export interface WireFlow {
  /** The Flow's protobuf bytes as the relay sent them (a view into the message, not a copy); the flow store keeps these. */
  readonly bytes: Uint8Array;
  /** Its bounded jsonpb as UTF-8, exactly the reference's, transcoded on first read; undefined without a transcoder (the recorder's client) or when it declines. */
  readonly json: Uint8Array | undefined;
  /** `uuid` as decoded (not cut); "" when absent. */
  readonly uuid: string;
  /** `time`, when the flow has one. */
  readonly time: { readonly seconds: number; readonly nanos: number } | undefined;
}

/** A GetFlows response as the relay client yields it: the message, and for a plain flow response its wire record. */
export type RelayResponse = GetFlowsResponse & { readonly wire?: WireFlow };

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * `fromBinary(GetFlowsResponseSchema, bytes)`, with a plain flow response's Flow decoded on first
 * read and its wire record attached. `json: false` (the flow history's recorder, which keeps the
 * bytes and never shows the flow) gives wire records without JSON. Each decoder owns its transcoder
 * (its buffers, used on the thread that reads `json`): give each stream consumer its own.
 */
export class GetFlowsDecoder {
  private readonly transcoder: FlowJsonTranscoder | undefined;

  constructor(opts: { json?: boolean } = {}) {
    this.transcoder = opts.json === false ? undefined : createFlowJsonTranscoder();
  }

  decode(bytes: Uint8Array): RelayResponse {
    const envelope = readEnvelope(bytes);
    if (!envelope) return fromBinary(GetFlowsResponseSchema, bytes);
    const { flowStart, flowEnd } = envelope;
    const identity = readIdentity(bytes, flowStart, flowEnd);
    if (!identity) return fromBinary(GetFlowsResponseSchema, bytes);
    let flow: Flow | undefined;
    const responseTypes = {
      case: "flow" as const,
      get value(): Flow {
        flow ??= fromBinary(FlowSchema, bytes.subarray(flowStart, flowEnd));
        return flow;
      },
      set value(value: Flow) {
        flow = value;
      },
    };
    const flowBytes = bytes.subarray(flowStart, flowEnd);
    const wire: WireFlow = this.transcoder ? new TranscodedOnRead(flowBytes, identity, this.transcoder) : { bytes: flowBytes, json: undefined, ...identity };
    const response: RelayResponse = { $typeName: "observer.GetFlowsResponse", responseTypes, nodeName: envelope.nodeName, wire };
    if (envelope.time) response.time = envelope.time;
    return response;
  }
}

/** A wire record whose JSON is transcoded when first read, once. */
class TranscodedOnRead implements WireFlow {
  readonly uuid: string;
  readonly time: WireFlow["time"];
  /** null: declined. */
  private transcoded: Uint8Array | null | undefined;

  constructor(
    readonly bytes: Uint8Array,
    identity: WireFlowIdentity,
    private readonly transcoder: FlowJsonTranscoder,
  ) {
    this.uuid = identity.uuid;
    this.time = identity.time;
  }

  get json(): Uint8Array | undefined {
    if (this.transcoded === undefined) this.transcoded = this.transcoder.transcode(this.bytes)?.json ?? null;
    return this.transcoded ?? undefined;
  }
}

/** An observer.Observer client whose GetFlows responses are decoded by its own `GetFlowsDecoder`. */
export function flowsObserverClientConstructor(opts: { json?: boolean } = {}): GrpcClientConstructor<ObserverMethods> {
  const decoder = new GetFlowsDecoder(opts);
  return grpc.makeGenericClientConstructor(
    { ...observerServiceDefinition, getFlows: { ...observerServiceDefinition.getFlows, responseDeserialize: (bytes: Buffer) => decoder.decode(bytes) } },
    "Observer",
  ) as unknown as GrpcClientConstructor<ObserverMethods>;
}

type WireFlowIdentity = Pick<WireFlow, "uuid" | "time">;

/**
 * A Flow's uuid (34) and time (1) from its bytes; undefined when anything is unusual (then
 * `fromBinary` decides, as without this shortcut). The uuid must be valid UTF-8, as fromBinary wants.
 */
function readIdentity(bytes: Uint8Array, start: number, end: number): WireFlowIdentity | undefined {
  const r = new WireReader(bytes, start);
  let uuid = "";
  let time: WireFlowIdentity["time"];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === undefined) return undefined;
    const wire = tag & 7;
    if (wire === 0) {
      if (!r.skipVarint(end)) return undefined;
      continue;
    }
    if (wire === 1 || wire === 5) {
      r.pos += wire === 1 ? 8 : 4;
      if (r.pos > end) return undefined;
      continue;
    }
    if (wire !== 2) return undefined;
    const len = r.varint();
    if (len === undefined || r.pos + len > end) return undefined;
    const from = r.pos;
    r.pos += len;
    const field = tag >>> 3;
    if (field === 34) {
      try {
        uuid = strictDecoder.decode(bytes.subarray(from, r.pos));
      } catch {
        return undefined;
      }
    } else if (field === 1) {
      time = readTime(bytes, from, r.pos);
      if (!time) return undefined;
    }
  }
  return r.pos === end ? { uuid, time } : undefined;
}

interface Envelope {
  flowStart: number;
  flowEnd: number;
  nodeName: string;
  time: GetFlowsResponse["time"];
}

/** The envelope of a response that is a flow and nothing unusual; undefined otherwise. */
function readEnvelope(bytes: Uint8Array): Envelope | undefined {
  const r = new WireReader(bytes);
  let flowStart = -1;
  let flowEnd = -1;
  let nodeName: string | undefined;
  let time: GetFlowsResponse["time"];
  while (r.pos < bytes.length) {
    const tag = r.varint();
    if (tag === undefined) return undefined;
    const len = (tag & 7) === 2 ? r.varint() : undefined;
    if (len === undefined || r.pos + len > bytes.length) return undefined;
    const start = r.pos;
    r.pos += len;
    const field = tag >>> 3;
    if (field === 1 && flowStart < 0) {
      flowStart = start;
      flowEnd = r.pos;
    } else if (field === 1000 && nodeName === undefined) {
      try {
        nodeName = strictDecoder.decode(bytes.subarray(start, r.pos));
      } catch {
        return undefined;
      }
    } else if (field === 1001 && time === undefined) {
      time = readTimestamp(bytes, start, r.pos);
      if (!time) return undefined;
    } else {
      return undefined; // another oneof member, a repeated field or an unknown one
    }
  }
  if (flowStart < 0) return undefined;
  return { flowStart, flowEnd, nodeName: nodeName ?? "", time };
}

/** A Timestamp's fields as read (seconds below 2^49 as a number, else a bigint); undefined where fromBinary must decide. */
function readTimeFields(bytes: Uint8Array, start: number, end: number): { seconds: number | bigint; nanos: number } | undefined {
  const r = new WireReader(bytes, start);
  let seconds: number | bigint | null | undefined;
  let nanos: number | null | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 8 && seconds === undefined) seconds = r.int64(end);
    else if (tag === 16 && nanos === undefined) nanos = r.varint32(end);
    else return undefined; // unknown or repeated fields: left to fromBinary
    if (seconds === null || nanos === null) return undefined;
  }
  if (r.pos !== end) return undefined;
  return { seconds: seconds ?? 0, nanos: nanos ?? 0 };
}

/** A Timestamp as plain numbers (what the wire record carries), without a message or bigints on the way. */
function readTime(bytes: Uint8Array, start: number, end: number): WireFlowIdentity["time"] {
  const t = readTimeFields(bytes, start, end);
  return t && { seconds: Number(t.seconds), nanos: t.nanos };
}

function readTimestamp(bytes: Uint8Array, start: number, end: number): GetFlowsResponse["time"] {
  const t = readTimeFields(bytes, start, end);
  if (!t) return undefined;
  // What create(TimestampSchema, …) makes (a plain object: proto3), without its reflection per response.
  const time: Timestamp = { $typeName: "google.protobuf.Timestamp", seconds: BigInt(t.seconds), nanos: t.nanos };
  return time;
}

class WireReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos = 0,
  ) {}

  /** A varint of at most 5 bytes as an unsigned 32-bit number. */
  varint(): number | undefined {
    // Tags and lengths mostly fit one or two bytes.
    const at = this.pos;
    if (at + 1 < this.bytes.length) {
      const b0 = this.bytes[at];
      if (b0 < 0x80) {
        this.pos = at + 1;
        return b0;
      }
      const b1 = this.bytes[at + 1];
      if (b1 < 0x80) {
        this.pos = at + 2;
        return (b0 & 0x7f) | (b1 << 7);
      }
    }
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.bytes.length) return undefined;
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result <= 0xffffffff ? result : undefined;
    }
    return undefined;
  }

  /** An int32 as protobuf-es reads it (the low 32 bits of the varint, signed); no bigint below 2^49. */
  varint32(end: number): number | null {
    const v = this.int64(end);
    if (v === null) return null;
    return typeof v === "number" ? v | 0 : Number(BigInt.asIntN(32, v));
  }

  /** Steps over a varint of at most 10 bytes; false when malformed (where `varint64` gives null). */
  skipVarint(end: number): boolean {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) return false;
      if (this.bytes[this.pos++] < 0x80) return true;
    }
    return false;
  }

  /** `varint64`'s value: below 2^49 as a number (no bigint on the way), else as the bigint; null when malformed. */
  int64(end: number): number | bigint | null {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 49; shift += 7) {
      if (this.pos >= end) return null;
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    this.pos = start;
    return this.varint64(end);
  }

  /** A varint of at most 10 bytes as a signed 64-bit bigint; null when malformed. */
  varint64(end: number): bigint | null {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= end) return null;
      const b = this.bytes[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asIntN(64, result);
    }
    return null;
  }
}
