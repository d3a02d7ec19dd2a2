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

import { type DescField, type DescMessage, ScalarType, toBinary } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Flow, FlowSchema, type IP, IPSchema, type Layer4, Layer4Schema, TCPFlagsSchema, TCPSchema, UDPSchema } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const PRESENCE_IMPLICIT = 2;
const utf8 = new TextEncoder();

/** A Flow field whose bytes are encoded once per value identity. */
interface SplicedField {
  readonly localName: string;
  readonly number: number;
  readonly kind: "message" | "messages" | "strings";
  readonly schema: DescMessage | undefined;
  /** Encoded tag(s) + length(s) + payload(s), by value identity. */
  readonly cache: WeakMap<object, Uint8Array>;
}

/** A per-flow field written directly (implicit-presence scalars and enums, BoolValue). */
interface ScalarField {
  readonly localName: string;
  readonly kind: "string" | "bool" | "uint32" | "int32" | "uint64" | "boolValue";
  readonly tag: Uint8Array;
}

interface FlowPlan {
  readonly spliced: SplicedField[];
  readonly scalars: ScalarField[];
  /** Fields neither of the above: the flow takes the `toBinary` path when one is set. */
  readonly other: DescField[];
  readonly timeTag: Uint8Array;
}

function planFlow(schema: DescMessage): FlowPlan {
  const plan: FlowPlan = { spliced: [], scalars: [], other: [], timeTag: tagBytes(schema.field.time.number, WIRE_LEN) };
  for (const f of schema.fields) {
    const spliced = (kind: SplicedField["kind"], sub: DescMessage | undefined) =>
      plan.spliced.push({ localName: f.localName, number: f.number, kind, schema: sub, cache: new WeakMap() });
    const scalar = (kind: ScalarField["kind"], wire: number) => plan.scalars.push({ localName: f.localName, kind, tag: tagBytes(f.number, wire) });
    if (f.oneof) {
      plan.other.push(f);
    } else if (f.localName === "time" && f.fieldKind === "message" && f.message.typeName === TimestampSchema.typeName) {
      // written by hand
    } else if (f.fieldKind === "message" && !f.delimitedEncoding && !isWellKnown(f.message)) {
      spliced("message", f.message);
    } else if (f.fieldKind === "message" && f.message.typeName === "google.protobuf.BoolValue") {
      scalar("boolValue", WIRE_LEN);
    } else if (f.fieldKind === "list" && f.listKind === "message" && !f.delimitedEncoding && !isWellKnown(f.message)) {
      spliced("messages", f.message);
    } else if (f.fieldKind === "list" && f.listKind === "scalar" && f.scalar === ScalarType.STRING) {
      spliced("strings", undefined);
    } else if (f.fieldKind === "enum" && f.presence === PRESENCE_IMPLICIT && f.enum.values[0]?.number === 0) {
      scalar("int32", WIRE_VARINT);
    } else if (f.fieldKind === "scalar" && f.presence === PRESENCE_IMPLICIT && !f.longAsString) {
      const kind = SCALAR_KINDS[f.scalar];
      if (kind) scalar(kind, kind === "string" ? WIRE_LEN : WIRE_VARINT);
      else plan.other.push(f);
    } else {
      plan.other.push(f);
    }
  }
  return plan;
}

const SCALAR_KINDS: Partial<Record<ScalarType, ScalarField["kind"]>> = {
  [ScalarType.STRING]: "string",
  [ScalarType.BOOL]: "bool",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.INT32]: "int32",
  [ScalarType.UINT64]: "uint64",
};

function isWellKnown(m: DescMessage): boolean {
  return m.typeName.startsWith("google.protobuf.");
}

const FLOW = planFlow(FlowSchema);
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

function hasUnknown(m: { $unknown?: readonly unknown[] }): boolean {
  return m.$unknown !== undefined && m.$unknown.length > 0;
}

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

/**
 * Results are written straight into shared slabs and handed out as views on them: no copy, and one
 * ArrayBuffer per ~1,000 flows instead of one per flow, which the garbage collector would track
 * and sweep one by one (at 50,000 flows/s a large share of the relay's GC time). A slab lives
 * while any view on it does; flows leave the rings in the order they entered, so slabs are freed
 * in turn. Bytes of a committed result are never written again.
 */
const SLAB_BYTES = 1024 * 1024;

class Writer {
  buf = new Uint8Array(SLAB_BYTES);
  pos = 0;
  /** Where the result being written starts; everything before it belongs to earlier results. */
  start = 0;

  /** Starts a result, leaving `headRoom` bytes free at its front. */
  begin(headRoom: number): void {
    this.start = this.pos;
    this.ensure(headRoom);
    this.pos += headRoom;
  }

  /** Forgets the result being written (its space is reused). */
  abandon(): void {
    this.pos = this.start;
  }

  /** The result from `offset` (relative to its start) to the current position. */
  commit(offset: number): Uint8Array {
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.start + offset, this.pos - this.start - offset);
    this.start = this.pos;
    return out;
  }

  /** The current position relative to the result's start (the result may move as it grows). */
  get mark(): number {
    return this.pos - this.start;
  }

  rewind(mark: number): void {
    this.pos = this.start + mark;
  }

  /** Writes a length-delimited field's tag and a one-byte length to fill in by `closeShort`. */
  openShort(fieldNumber: number): number {
    this.ensure(6);
    this.pos = writeTag(this.buf, this.pos, fieldNumber, WIRE_LEN);
    const lenMark = this.mark;
    this.pos++;
    return lenMark;
  }

  /** Fills in the length opened at `lenMark`; false when it does not fit in one byte (over 127). */
  closeShort(lenMark: number): boolean {
    const lenPos = this.start + lenMark;
    const len = this.pos - lenPos - 1;
    if (len > 127) return false;
    this.buf[lenPos] = len;
    return true;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // A new slab; the result written so far moves to its front.
    const used = this.pos - this.start;
    let size = SLAB_BYTES;
    while (size < used + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(this.start, this.pos));
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  varint(n: number): void {
    this.ensure(10);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  /** Length-prefixed UTF-8; short ASCII strings (most of a flow's) without TextEncoder. */
  string(s: string): void {
    const n = s.length;
    this.ensure(5 + 3 * n);
    const buf = this.buf;
    if (n < 128) {
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = p;
        return;
      }
    }
    const bytes = utf8.encode(s);
    this.pos = writeVarint(buf, this.pos, bytes.length);
    buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A Timestamp's length and payload (seconds = 1, nanos = 2); false if out of the usual range. */
  timestamp(t: Timestamp): boolean {
    if (hasUnknown(t)) return false;
    const { seconds, nanos } = t;
    if (typeof seconds !== "bigint" || seconds < 0n || seconds > 0x1fffffffffffffn) return false;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos > 0x7fffffff) return false;
    const s = Number(seconds);
    const len = (s !== 0 ? 1 + varintSize(s) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
    this.ensure(1 + len);
    const buf = this.buf;
    let pos = writeVarint(buf, this.pos, len);
    if (s !== 0) {
      buf[pos++] = 0x08;
      pos = writeVarint(buf, pos, s);
    }
    if (nanos !== 0) {
      buf[pos++] = 0x10;
      pos = writeVarint(buf, pos, nanos);
    }
    this.pos = pos;
    return true;
  }
}

const writer = new Writer();

function lengthDelimited(fieldNumber: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(tagSize(fieldNumber) + varintSize(payload.length) + payload.length);
  const pos = writeVarint(out, writeTag(out, 0, fieldNumber, WIRE_LEN), payload.length);
  out.set(payload, pos);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

function tagBytes(fieldNumber: number, wireType: number): Uint8Array {
  const out = new Uint8Array(varintSize(fieldNumber * 8 + wireType));
  writeTag(out, 0, fieldNumber, wireType);
  return out;
}

function tagSize(fieldNumber: number): number {
  return varintSize(fieldNumber * 8 + WIRE_LEN);
}

function writeTag(out: Uint8Array, pos: number, fieldNumber: number, wireType: number): number {
  return writeVarint(out, pos, fieldNumber * 8 + wireType);
}

/** Size of a non-negative integer below 2^53 as a varint. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes a non-negative integer below 2^53 as a varint; returns the position after it. */
function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}
