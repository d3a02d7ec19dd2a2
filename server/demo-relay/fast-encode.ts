import "server-only";

// Fast binary encoding of GetFlowsResponse for the demo relay.
//
// protobuf-es v2's `toBinary` walks every field reflectively; a flow is ~1.3 kB, most of it the
// endpoints' labels, so encoding each flow from scratch caps the relay far below 50k flows/s. But
// the simulator (and a looping capture replay) builds flows from SHARED, immutable sub-messages:
// the same Endpoint, label arrays, emitter, policies... appear in thousands of flows. Protobuf lets
// a message's fields come in any order, so a flow is written as
//
//   its per-flow scalars (uuid, verdict, enums, summary...), written directly from the descriptor
//   + time, by hand
//   + for each sub-message / repeated field: tag + length + bytes, encoded once per object identity
//
// inside the GetFlowsResponse envelope (flow = 1, node_name = 1000, time = 1001), written by hand.
// The bytes may differ from `toBinary`'s (field order) but decode to an equal message. Anything
// this file does not write itself (unknown fields, a set `extensions`, out-of-range values, a
// response that is not a flow) goes through `toBinary`, so every message encodes correctly.
//
// Caches are WeakMaps keyed by the sub-object (or array): they never keep a flow's parts alive,
// and parts that are not shared simply miss. The contract, as everywhere messages are shared in
// the relay: a message is not mutated once it has been handed out.
//
// This module writes the messages; what it knows about each Flow field is planned in
// ./fast-encode-plan.ts, the bytes go through the writer primitives of ./fast-encode-writer.ts.

import { type DescMessage, toBinary } from "@bufbuild/protobuf";
import { type Flow, type IP, IPSchema, type Layer4, Layer4Schema, TCPFlagsSchema, TCPSchema, UDPSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { FLOW, type SplicedField } from "./fast-encode-plan";
import { concat, hasUnknown, lengthDelimited, tagBytes, tagSize, utf8, varintSize, WIRE_LEN, WIRE_VARINT, Writer, writeTag, writeVarint } from "./fast-encode-writer";

const ENVELOPE_FLOW_NUMBER = GetFlowsResponseSchema.field.flow.number;
const ENVELOPE_NODE_NAME_TAG = tagBytes(GetFlowsResponseSchema.field.nodeName.number, WIRE_LEN);
const ENVELOPE_TIME_TAG = tagBytes(GetFlowsResponseSchema.field.time.number, WIRE_LEN);
/** The envelope is written by hand only while it has exactly the fields this file knows. */
const ENVELOPE_KNOWN =
  GetFlowsResponseSchema.fields
    .map((f) => `${f.number}:${f.localName}`)
    .sort()
    .join(",") === "1000:nodeName,1001:time,1:flow,2:nodeStatus,3:lostEvents";
/** Room left before the flow for its tag and length (1 + up to 5 bytes). */
const HEAD_ROOM = 6;

/**
 * The protobuf binary encoding of `response`: decodes to a message equal to `response`, as
 * `toBinary(GetFlowsResponseSchema, response)` does, at a fraction of its cost when the flows
 * share sub-messages. Does not modify `response`. The result is never written to again; it may be
 * a view on a buffer shared with other results.
 */
export function encodeGetFlowsResponse(response: GetFlowsResponse): Uint8Array {
  if (!ENVELOPE_KNOWN || response.responseTypes.case !== "flow" || hasUnknown(response)) {
    return toBinary(GetFlowsResponseSchema, response);
  }
  const flow = response.responseTypes.value;
  const w = writer;
  w.begin(HEAD_ROOM);
  if (!writeFlowFields(w, flow)) {
    w.abandon();
    return toBinary(GetFlowsResponseSchema, response);
  }
  // The flow's tag and length go right before it, in the room left for them. Positions are kept
  // relative to the result's start: the writer may move the result to a new slab as it grows.
  const flowLen = w.pos - w.start - HEAD_ROOM;
  const offset = HEAD_ROOM - tagSize(ENVELOPE_FLOW_NUMBER) - varintSize(flowLen);
  writeVarint(w.buf, writeTag(w.buf, w.start + offset, ENVELOPE_FLOW_NUMBER, WIRE_LEN), flowLen);

  if (response.nodeName !== "") {
    w.raw(ENVELOPE_NODE_NAME_TAG);
    w.string(response.nodeName);
  }
  if (response.time !== undefined) {
    w.raw(ENVELOPE_TIME_TAG);
    if (!w.timestamp(response.time)) {
      w.abandon();
      return toBinary(GetFlowsResponseSchema, response);
    }
  }
  return w.commit(offset);
}

/** Writes the flow's fields; false if the flow needs `toBinary` (the writer is then garbage). */
function writeFlowFields(w: Writer, flow: Flow): boolean {
  if (hasUnknown(flow)) return false;
  const fields = flow as unknown as Record<string, unknown>;
  for (const f of FLOW.other) {
    const v = fields[f.localName];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) return false;
  }
  for (const f of FLOW.scalars) {
    const v = fields[f.localName];
    switch (f.kind) {
      case "string":
        if (typeof v !== "string") return false;
        if (v !== "") {
          w.raw(f.tag);
          w.string(v);
        }
        break;
      case "int32":
      case "uint32":
        if (v !== 0) {
          // int32 negatives take 10 bytes; out-of-range values get toBinary's checks.
          if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > (f.kind === "int32" ? 0x7fffffff : 0xffffffff)) return false;
          w.raw(f.tag);
          w.varint(v);
        }
        break;
      case "uint64":
        if (v !== 0n) {
          if (typeof v !== "bigint" || v < 0n || v > 0x1fffffffffffffn) return false;
          w.raw(f.tag);
          w.varint(Number(v));
        }
        break;
      case "bool":
        if (v !== false) {
          if (v !== true) return false;
          w.raw(f.tag);
          w.varint(1);
        }
        break;
      case "boolValue":
        if (v !== undefined) {
          if (typeof v !== "boolean") return false;
          w.raw(f.tag);
          if (v) w.raw(BOOL_VALUE_TRUE);
          else w.varint(0);
        }
        break;
    }
  }
  if (flow.time !== undefined && Object.prototype.hasOwnProperty.call(flow, "time")) {
    w.raw(FLOW.timeTag);
    if (!w.timestamp(flow.time)) return false;
  }
  for (const f of FLOW.spliced) {
    const v = fields[f.localName];
    if (f.kind === "message") {
      if (v === undefined || !Object.prototype.hasOwnProperty.call(flow, f.localName)) continue;
      // Most flows have an l4 (and many an IP) of their own: written in place, not cached.
      if (v === flow.l4 && INLINE_KNOWN && writeLayer4(w, f.number, flow.l4)) continue;
      if (v === flow.IP && INLINE_KNOWN && writeIp(w, f.number, flow.IP)) continue;
    } else if ((v as readonly unknown[]).length === 0) {
      continue;
    }
    w.raw(splicedBytes(f, v as object));
  }
  return true;
}

// Layer4 (TCP, UDP) and IP written in place. A flow's packet-level parts are usually its own
// objects (a new Layer4 per packet), so caching their bytes by identity would only fill the caches
// (WeakMap entries are costly to collect); their fields are few and small. Written only while the
// messages have exactly the fields below; anything else takes the cached path.
const fieldsOf = (m: DescMessage) =>
  m.fields
    .map((f) => `${f.number}:${f.localName}`)
    .sort()
    .join(",");
const INLINE_KNOWN =
  fieldsOf(Layer4Schema) === "1:TCP,2:UDP,3:ICMPv4,4:ICMPv6,5:SCTP,6:VRRP,7:IGMP" &&
  fieldsOf(TCPSchema) === "1:sourcePort,2:destinationPort,3:flags" &&
  fieldsOf(UDPSchema) === "1:sourcePort,2:destinationPort" &&
  fieldsOf(IPSchema) === "1:source,2:destination,3:ipVersion,4:encrypted,5:sourceXlated";
const TCP_FLAGS_CACHE = new WeakMap<object, Uint8Array>();

function writeLayer4(w: Writer, fieldNumber: number, l4: Layer4 | undefined): boolean {
  if (l4 === undefined || hasUnknown(l4)) return false;
  const p = l4.protocol;
  if (p.case !== "TCP" && p.case !== "UDP") return false;
  const m = p.value;
  if (hasUnknown(m) || !isUint32(m.sourcePort) || !isUint32(m.destinationPort)) return false;
  const flags = p.case === "TCP" ? p.value.flags : undefined;
  if (flags !== undefined && hasUnknown(flags)) return false;
  const start = w.mark;
  const outer = w.openShort(fieldNumber);
  const inner = w.openShort(p.case === "TCP" ? 1 : 2);
  if (m.sourcePort !== 0) {
    w.raw(PORT_TAGS[0]);
    w.varint(m.sourcePort);
  }
  if (m.destinationPort !== 0) {
    w.raw(PORT_TAGS[1]);
    w.varint(m.destinationPort);
  }
  if (flags !== undefined) {
    let bytes = TCP_FLAGS_CACHE.get(flags);
    if (bytes === undefined) {
      bytes = lengthDelimited(3, toBinary(TCPFlagsSchema, flags));
      TCP_FLAGS_CACHE.set(flags, bytes);
    }
    w.raw(bytes);
  }
  if (w.closeShort(inner) && w.closeShort(outer)) return true;
  w.rewind(start);
  return false;
}

function writeIp(w: Writer, fieldNumber: number, ip: IP | undefined): boolean {
  if (ip === undefined || hasUnknown(ip)) return false;
  const { source, destination, sourceXlated, ipVersion, encrypted } = ip;
  if (typeof source !== "string" || typeof destination !== "string" || typeof sourceXlated !== "string") return false;
  if (!Number.isInteger(ipVersion) || ipVersion < 0 || ipVersion > 0x7fffffff || typeof encrypted !== "boolean") return false;
  const start = w.mark;
  const outer = w.openShort(fieldNumber);
  if (source !== "") {
    w.raw(IP_TAGS.source);
    w.string(source);
  }
  if (destination !== "") {
    w.raw(IP_TAGS.destination);
    w.string(destination);
  }
  if (ipVersion !== 0) {
    w.raw(IP_TAGS.ipVersion);
    w.varint(ipVersion);
  }
  if (encrypted) {
    w.raw(IP_TAGS.encrypted);
    w.varint(1);
  }
  if (sourceXlated !== "") {
    w.raw(IP_TAGS.sourceXlated);
    w.string(sourceXlated);
  }
  if (w.closeShort(outer)) return true;
  w.rewind(start);
  return false;
}

const PORT_TAGS = [tagBytes(1, WIRE_VARINT), tagBytes(2, WIRE_VARINT)];
const IP_TAGS = {
  source: tagBytes(1, WIRE_LEN),
  destination: tagBytes(2, WIRE_LEN),
  ipVersion: tagBytes(3, WIRE_VARINT),
  encrypted: tagBytes(4, WIRE_VARINT),
  sourceXlated: tagBytes(5, WIRE_LEN),
};

function isUint32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** BoolValue{value: true} with its length: length 2, field 1 varint, 1. */
const BOOL_VALUE_TRUE = Uint8Array.of(2, 0x08, 1);

/** Tag(s), length(s) and payload(s) of one spliced field's value, from the cache when seen before. */
function splicedBytes(f: SplicedField, value: object): Uint8Array {
  let bytes = f.cache.get(value);
  if (bytes === undefined) {
    if (f.kind === "message") {
      bytes = lengthDelimited(f.number, toBinary(f.schema!, value as never));
    } else if (f.kind === "messages") {
      bytes = concat((value as readonly object[]).map((m) => lengthDelimited(f.number, toBinary(f.schema!, m as never))));
    } else {
      bytes = concat((value as readonly string[]).map((s) => lengthDelimited(f.number, utf8.encode(s))));
    }
    f.cache.set(value, bytes);
  }
  return bytes;
}

const writer = new Writer();
