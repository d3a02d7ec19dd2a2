// Flow protobuf bytes → the UTF-8 bytes of `JSON.stringify(flowToBoundedJson(fromBinary(FlowSchema,
// bytes)))`, without building message objects: the server's live path takes each flow from the
// relay's wire bytes straight to the JSON it sends to browsers.
//
// Exactness first. A plan per message type is built once from the descriptors: fields in
// declaration order (the order `flowToBoundedJson` writes), each with its JSON key, its wire type
// and how `toJson` writes it; strings and lists are cut as `boundFlowJson` cuts them. Anything the
// plans do not cover exactly returns `undefined`, and the caller takes the message-object path,
// whose result (or error) is then the answer: a field repeated on the wire where protobuf merges
// or picks the last oneof member, a wire type other than the declared one, groups, unknown fields
// on a type registry extensions extend, `google.protobuf.Any`, timestamps `toJson` rejects,
// invalid UTF-8 (fromBinary rejects it), truncated or malformed data.
//
// Sharp edge: not reentrant per message type (one scratch record per type); a recursive message
// type makes the whole flow take the slow path.

import { ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { isExtendee, timestampJsonText } from "./flow-json-fast";
import { MAX_LIST, MAX_TEXT } from "./flow-model";

/** A flow as the JSON bytes browsers get, plus what the server keys and orders it by. */
export interface WireFlowJson {
  /** UTF-8 of the bounded jsonpb object. */
  readonly json: Uint8Array;
  /** `uuid` as decoded (not cut); "" when absent. */
  readonly uuid: string;
  /** `time`, when the flow has one. */
  readonly time: { readonly seconds: number; readonly nanos: number } | undefined;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("flow-json-wire: unsupported");

const MAX_TEXT_ = MAX_TEXT;
const MAX_LIST_ = MAX_LIST;

// What a field is to the transcoder.
const K_STRING = 1;
const K_BOOL = 2;
const K_INT32 = 3;
const K_UINT32 = 4;
const K_INT64 = 5;
const K_UINT64 = 6;
const K_BYTES = 7;
const K_ENUM = 8;
const K_MESSAGE = 9;
const K_TIMESTAMP = 10;
const K_BOOL_WRAPPER = 11;
const K_REJECT = 12; // any occurrence sends the flow to the slow path (Any, maps, other types)

const W_VARINT = 0;
const W_LEN = 2;

interface FieldPlan {
  readonly kind: number;
  readonly list: boolean;
  readonly wire: number;
  /** `"json_name":` in UTF-8. */
  readonly key: Uint8Array;
  readonly oneof: number; // index into the message's oneofs, or -1
  readonly strictUtf8: boolean;
  readonly enumNames: Map<number, Uint8Array> | undefined;
  readonly enumZero: number;
  readonly message: MessagePlan | undefined;
}

interface MessagePlan {
  readonly typeName: string;
  readonly fields: FieldPlan[];
  readonly small: Int32Array; // field number → index + 1, for numbers < 64
  readonly large: Map<number, number>;
  readonly extendee: boolean;
  readonly oneofCount: number;
  // Scratch, valid during one transcode of this type.
  readonly at: Int32Array; // value start of each singular field, -1 when absent
  readonly lists: number[][]; // value starts of each list field…
  readonly listCounts: Int32Array; // …and how many of them are this message's
  readonly oneofSeen: Int32Array;
  busy: boolean;
}

const enc = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const plans = new Map<string, MessagePlan>();

function planFor(desc: DescMessage): MessagePlan {
  const cached = plans.get(desc.typeName);
  if (cached) return cached;
  const oneofs = desc.oneofs;
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = {
    typeName: desc.typeName,
    fields,
    small: new Int32Array(64),
    large: new Map(),
    extendee: isExtendee(desc.typeName),
    oneofCount: oneofs.length,
    at: new Int32Array(desc.fields.length),
    lists: desc.fields.map(() => []),
    listCounts: new Int32Array(desc.fields.length),
    oneofSeen: new Int32Array(oneofs.length),
    busy: false,
  };
  plans.set(desc.typeName, plan); // before the fields, so recursive types find it
  desc.fields.forEach((field, i) => {
    fields.push(fieldPlan(field, field.oneof ? oneofs.indexOf(field.oneof) : -1));
    if (field.number < 64) plan.small[field.number] = i + 1;
    else plan.large.set(field.number, i + 1);
  });
  return plan;
}

function fieldPlan(field: DescField, oneof: number): FieldPlan {
  const key = enc.encode(`${JSON.stringify(field.name)}:`);
  // One object shape for every field plan, so the hot loops stay monomorphic.
  const make = (kind: number, wire: number, more: Partial<FieldPlan> = {}): FieldPlan => ({
    kind,
    list: more.list ?? false,
    wire,
    key,
    oneof,
    strictUtf8: more.strictUtf8 ?? false,
    enumNames: more.enumNames,
    enumZero: more.enumZero ?? 0,
    message: more.message,
  });
  const reject = make(K_REJECT, -1);
  // Legacy-required fields and closed enums decode differently; never seen in Hubble's protos.
  if (field.presence === 3) return reject;
  if (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) {
    const list = field.fieldKind === "list";
    // Only implicit-presence singular scalars and string lists occur in flow.proto.
    if (list ? field.scalar !== ScalarType.STRING : field.presence !== 2) return reject;
    const kind = scalarKind(field.scalar);
    return make(kind, kind === K_STRING || kind === K_BYTES ? W_LEN : W_VARINT, {
      list,
      strictUtf8: field.scalar === ScalarType.STRING && (field as { utf8Validation?: boolean }).utf8Validation === true,
    });
  }
  if (field.fieldKind === "enum") {
    if (!field.enum.open || field.presence !== 2) return reject;
    const enumNames = new Map<number, Uint8Array>();
    for (const v of field.enum.values) enumNames.set(v.number, enc.encode(JSON.stringify(cut(v.name))));
    return make(K_ENUM, W_VARINT, { enumNames, enumZero: field.enum.values[0].number });
  }
  const list = field.fieldKind === "list";
  const msg = field.fieldKind === "message" || (list && field.listKind === "message") ? field.message : undefined;
  if (!msg) return reject;
  if (msg.typeName === "google.protobuf.Timestamp") return make(K_TIMESTAMP, W_LEN, { list });
  if (msg.typeName === "google.protobuf.BoolValue" && !list && !field.oneof) return make(K_BOOL_WRAPPER, W_LEN);
  if (msg.typeName.startsWith("google.protobuf.")) return reject;
  return make(K_MESSAGE, W_LEN, { list, message: planFor(msg) });
}

function scalarKind(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
      return K_STRING;
    case ScalarType.BOOL:
      return K_BOOL;
    case ScalarType.INT32:
      return K_INT32;
    case ScalarType.UINT32:
      return K_UINT32;
    case ScalarType.INT64:
      return K_INT64;
    case ScalarType.UINT64:
      return K_UINT64;
    case ScalarType.BYTES:
      return K_BYTES;
    default:
      return K_REJECT; // floats, fixed and zigzag integers: not in flow.proto
  }
}

function cut(s: string): string {
  return s.length > MAX_TEXT_ ? `${s.slice(0, MAX_TEXT_)}…` : s;
}

// --- input ---------------------------------------------------------------------------------

let buf: Uint8Array = new Uint8Array(0);
let p = 0;
// The two halves of the last varint read by `varint64`.
let lo = 0;
let hi = 0;

/** A varint's low 32 bits as protobuf-es's `uint32()` reads them (at most 10 bytes). */
function varint32(end: number): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (p >= end) throw UNSUPPORTED;
    const b = buf[p++];
    if (shift < 28) result |= (b & 0x7f) << shift;
    else result |= (b & 0x0f) << 28;
    if ((b & 0x80) === 0) return result >>> 0;
  }
  for (let i = 5; i < 10; i++) {
    if (p >= end) throw UNSUPPORTED;
    if ((buf[p++] & 0x80) === 0) return result >>> 0;
  }
  throw UNSUPPORTED;
}

/** A varint into `lo`/`hi` as protobuf-es's `varint64read` reads it. */
function varint64(end: number): void {
  lo = 0;
  hi = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) throw UNSUPPORTED;
    const b = buf[p++];
    lo |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return;
  }
  if (p >= end) throw UNSUPPORTED;
  const middle = buf[p++];
  lo |= (middle & 0x0f) << 28;
  hi = (middle & 0x70) >> 4;
  if ((middle & 0x80) === 0) return;
  for (let shift = 3; shift <= 31; shift += 7) {
    if (p >= end) throw UNSUPPORTED;
    const b = buf[p++];
    hi |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return;
  }
  throw UNSUPPORTED;
}

/** Skips one value of `wire` type; only the types protobuf-es skips the same way. */
function skip(wire: number, end: number): void {
  switch (wire) {
    case 0:
      varint64(end);
      return;
    case 1:
      p += 8;
      break;
    case 2: {
      const len = varint32(end);
      p += len;
      break;
    }
    case 5:
      p += 4;
      break;
    default:
      throw UNSUPPORTED; // groups
  }
  if (p > end) throw UNSUPPORTED;
}

// --- output --------------------------------------------------------------------------------

// Output goes into slabs: each flow's JSON is a view of the slab it was written in (no copy per
// flow); a flow that does not fit in what is left of a slab moves to a fresh one.
const SLAB = 1 << 17;
let out = new Uint8Array(SLAB);
let o = 0;
/** Where the flow being written starts in `out`. */
let flowStart = 0;

function reserve(n: number): void {
  if (o + n <= out.length) return;
  const written = o - flowStart;
  const fresh = new Uint8Array(Math.max(SLAB, (written + n) * 2));
  fresh.set(out.subarray(flowStart, o));
  out = fresh;
  flowStart = 0;
  o = written;
}

function writeBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  reserve(n);
  const dst = out;
  let d = o;
  for (let i = 0; i < n; i++) dst[d++] = bytes[i];
  o = d;
}

function writeAscii(s: string): void {
  const n = s.length;
  reserve(n);
  const dst = out;
  let d = o;
  for (let i = 0; i < n; i++) dst[d++] = s.charCodeAt(i);
  o = d;
}

function writeText(s: string): void {
  writeBytes(enc.encode(s));
}

/** The length-delimited string value at `p`, as JSON text. */
function writeString(end: number, strict: boolean): void {
  const len = varint32(end);
  const start = p;
  const stop = start + len;
  if (stop > end) throw UNSUPPORTED;
  p = stop;
  if (len <= MAX_TEXT_) {
    // Printable ASCII without quotes or backslashes is its own JSON text.
    const src = buf;
    let i = start;
    for (; i < stop; i++) {
      const c = src[i];
      if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) break;
    }
    if (i === stop) {
      reserve(len + 2);
      const dst = out;
      let d = o;
      dst[d++] = 0x22;
      if (len > 64) {
        dst.set(src.subarray(start, stop), d);
        d += len;
      } else {
        for (let j = start; j < stop; j++) dst[d++] = src[j];
      }
      dst[d++] = 0x22;
      o = d;
      return;
    }
  }
  let text: string;
  try {
    text = (strict ? strictDecoder : decoder).decode(buf.subarray(start, stop));
  } catch {
    throw UNSUPPORTED; // fromBinary rejects invalid UTF-8 in a validated string
  }
  writeText(JSON.stringify(cut(text)));
}

/** The decimal text of the 64-bit varint in `lo`/`hi`, as protobuf-es's bigint prints it. */
function int64Text(signed: boolean): string {
  if (hi === 0 && lo >= 0) return String(lo);
  const unsigned = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return String(signed ? BigInt.asIntN(64, unsigned) : unsigned);
}

// --- messages ------------------------------------------------------------------------------

/** Scans the message in [p, end) into its plan's scratch record. */
function scan(plan: MessagePlan, end: number): void {
  const at = plan.at;
  at.fill(-1);
  plan.listCounts.fill(0);
  plan.oneofSeen.fill(-1);
  const fields = plan.fields;
  while (p < end) {
    const tag = varint32(end);
    const fieldNo = tag >>> 3;
    const wire = tag & 7;
    const index = (fieldNo < 64 ? plan.small[fieldNo] : (plan.large.get(fieldNo) ?? 0)) - 1;
    if (index < 0) {
      if (fieldNo === 0 || plan.extendee) throw UNSUPPORTED;
      skip(wire, end);
      continue;
    }
    const f = fields[index];
    if (wire !== f.wire) throw UNSUPPORTED;
    const start = p;
    skip(wire, end);
    if (f.list) {
      plan.lists[index][plan.listCounts[index]++] = start;
      continue;
    }
    // A singular field seen twice (messages merge, the last scalar wins, every string is
    // validated) or a second oneof member: rare enough to leave to fromBinary.
    if (at[index] >= 0) throw UNSUPPORTED;
    if (f.oneof >= 0) {
      if (plan.oneofSeen[f.oneof] >= 0) throw UNSUPPORTED;
      plan.oneofSeen[f.oneof] = index;
    }
    at[index] = start;
  }
  if (p !== end) throw UNSUPPORTED;
}

/** Writes the JSON object of the message whose bytes are [p, end). */
function writeMessage(plan: MessagePlan, end: number): void {
  if (plan.busy) throw UNSUPPORTED;
  plan.busy = true;
  scan(plan, end);
  reserve(1);
  out[o++] = 0x7b;
  let first = true;
  const fields = plan.fields;
  const at = plan.at;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.list) {
      const items = plan.lists[i];
      const count = plan.listCounts[i];
      if (count === 0) continue;
      if (!first) writeComma();
      first = false;
      writeBytes(f.key);
      reserve(1);
      out[o++] = 0x5b;
      for (let j = 0; j < count; j++) {
        // Items past the cut are converted too (and may send the flow to the slow path), then dropped.
        const mark = o;
        if (j > 0) writeComma();
        p = items[j];
        writeValue(f, end);
        if (j >= MAX_LIST_) o = mark;
      }
      reserve(1);
      out[o++] = 0x5d;
      continue;
    }
    const start = at[i];
    if (start < 0) continue;
    p = start;
    const mark = o;
    if (!first) writeComma();
    writeBytes(f.key);
    if (writeValue(f, end)) first = false;
    else o = mark; // an implicit-presence zero value is not written
  }
  reserve(1);
  out[o++] = 0x7d;
  p = end;
  plan.busy = false;
}

function writeComma(): void {
  reserve(1);
  out[o++] = 0x2c;
}

/** Writes the value at `p`; false when it is an implicit-presence zero (nothing to write). */
function writeValue(f: FieldPlan, end: number): boolean {
  switch (f.kind) {
    case K_STRING: {
      if (buf[p] === 0 && !f.list) return false;
      writeString(end, f.strictUtf8);
      return true;
    }
    case K_BOOL:
      varint64(end);
      if (lo === 0 && hi === 0) return false;
      writeAscii("true");
      return true;
    case K_INT32: {
      const v = varint32(end) | 0;
      if (v === 0) return false;
      writeAscii(String(v));
      return true;
    }
    case K_UINT32: {
      const v = varint32(end);
      if (v === 0) return false;
      writeAscii(String(v));
      return true;
    }
    case K_INT64:
    case K_UINT64:
      varint64(end);
      if (lo === 0 && hi === 0) return false;
      writeAscii(`"${int64Text(f.kind === K_INT64)}"`);
      return true;
    case K_BYTES: {
      const len = varint32(end);
      if (p + len > end) throw UNSUPPORTED;
      const bytes = buf.subarray(p, p + len);
      p += len;
      if (len === 0) return false;
      writeText(JSON.stringify(cut(base64Encode(bytes))));
      return true;
    }
    case K_ENUM: {
      const v = varint32(end) | 0;
      if (v === f.enumZero) return false;
      const name = f.enumNames!.get(v);
      if (name) writeBytes(name);
      else writeAscii(String(v)); // an unknown number stays a number, as `toJson` writes it
      return true;
    }
    case K_MESSAGE: {
      const len = varint32(end);
      const stop = p + len;
      if (stop > end) throw UNSUPPORTED;
      writeMessage(f.message!, stop);
      return true;
    }
    case K_TIMESTAMP: {
      const len = varint32(end);
      const stop = p + len;
      if (stop > end) throw UNSUPPORTED;
      readTimestamp(stop);
      const text = timestampJsonText(tsSeconds, tsNanos);
      if (text === undefined) throw UNSUPPORTED;
      reserve(text.length + 2);
      out[o++] = 0x22;
      writeAscii(text);
      out[o++] = 0x22;
      return true;
    }
    case K_BOOL_WRAPPER: {
      const len = varint32(end);
      const stop = p + len;
      if (stop > end) throw UNSUPPORTED;
      let value = false;
      while (p < stop) {
        const tag = varint32(stop);
        if (tag === 8) {
          varint64(stop);
          value = lo !== 0 || hi !== 0;
        } else if (tag >>> 3 === 0 || tag >>> 3 === 1) {
          throw UNSUPPORTED;
        } else {
          skip(tag & 7, stop);
        }
      }
      writeAscii(value ? "true" : "false");
      return true;
    }
  }
  throw UNSUPPORTED;
}

let tsSeconds = 0;
let tsNanos = 0;

/** A google.protobuf.Timestamp in [p, end) into `tsSeconds`/`tsNanos` (last value wins). */
function readTimestamp(end: number): void {
  tsSeconds = 0;
  tsNanos = 0;
  while (p < end) {
    const tag = varint32(end);
    if (tag === 8) {
      varint64(end);
      // Exact below 2^53; beyond, far outside the range `toJson` accepts either way.
      tsSeconds = (hi | 0) * 4294967296 + (lo >>> 0);
    } else if (tag === 16) {
      tsNanos = varint32(end) | 0;
    } else if (tag >>> 3 === 0 || tag >>> 3 === 1 || tag >>> 3 === 2) {
      throw UNSUPPORTED; // a known field with another wire type
    } else {
      skip(tag & 7, end);
    }
  }
  if (p !== end) throw UNSUPPORTED;
}

// --- entry point ---------------------------------------------------------------------------

let flowPlan: MessagePlan | undefined;
let uuidIndex = -1;
let timeIndex = -1;

/**
 * The bounded jsonpb bytes of the Flow encoded in `bytes[start, end)`, or undefined where only
 * the message-object path gives the exact answer (see the header).
 */
export function flowJsonFromWire(bytes: Uint8Array, start = 0, end = bytes.length): WireFlowJson | undefined {
  try {
    if (!flowPlan) {
      flowPlan = planFor(FlowSchema);
      uuidIndex = FlowSchema.fields.findIndex((f) => f.name === "uuid");
      timeIndex = FlowSchema.fields.findIndex((f) => f.name === "time");
    }
    buf = bytes;
    p = start;
    if (out.length - o < 4096) {
      out = new Uint8Array(SLAB);
      o = 0;
    }
    flowStart = o;
    writeMessage(flowPlan, end);
    const json = out.subarray(flowStart, o);
    let uuid = "";
    const uuidAt = uuidIndex >= 0 ? flowPlan.at[uuidIndex] : -1;
    if (uuidAt >= 0) {
      p = uuidAt;
      const len = varint32(end);
      uuid = decoder.decode(bytes.subarray(p, p + len));
    }
    let time: WireFlowJson["time"];
    const timeAt = timeIndex >= 0 ? flowPlan.at[timeIndex] : -1;
    if (timeAt >= 0) {
      p = timeAt;
      const len = varint32(end);
      readTimestamp(p + len);
      time = { seconds: tsSeconds, nanos: tsNanos };
    }
    return { json, uuid, time };
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    for (const plan of plans.values()) plan.busy = false;
    o = flowStart;
    return undefined;
  } finally {
    buf = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
