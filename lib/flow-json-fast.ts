// A fast path for the server's per-flow JSON: `flowToBoundedJson(flow)` returns exactly what
// `boundFlowJson(flowToJsonObject(flow))` returns (same keys, same key order, same values),
// without protobuf-es's reflection. Per message descriptor a converter is built once (lazily,
// cached by type name) from the descriptor: fields in declaration order (as
// `orderLikeProtojson` orders them), presence as `toJson` decides it, values as `toJson`
// writes them, strings and lists cut as `boundFlowJson` cuts them.
//
// Whatever the converters do not know (map fields, google.protobuf.Struct, values of an
// unexpected type, unknown fields that could be registry extensions, a value `toJson` would
// reject) makes the whole flow take the slow path, so the result (or the error) is always the
// slow path's own.

import { ScalarType, createRegistry, toJson } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { FlowSchema, file_flow_flow } from "@/proto/gen/flow/flow_pb";
import type { Flow } from "@/proto/gen/flow/flow_pb";
import { file_observer_observer } from "@/proto/gen/observer/observer_pb";
import { file_relay_relay } from "@/proto/gen/relay/relay_pb";
import { flowToJsonObject } from "./flow-json";
import { MAX_LIST, MAX_TEXT, boundFlowJson } from "./flow-model";

// The same registry as lib/flow-json.ts (it resolves `google.protobuf.Any` payloads).
const registry = createRegistry(file_flow_flow, file_relay_relay, file_observer_observer);
const jsonOptions = { useProtoFieldName: true, registry } as const;

// Messages that a registry extension extends: `toJson` would write such extensions from the
// unknown fields, so a message of these types with unknown fields takes the slow path.
const extendees = new Set<string>();
for (const type of registry) if (type.kind === "extension") extendees.add(type.extendee.typeName);

/** Whether `toJson` may write registry extensions of this message type from its unknown fields. */
export function isExtendee(typeName: string): boolean {
  return extendees.has(typeName);
}

/** Thrown by a converter on anything it does not handle exactly; never escapes. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("flow-json-fast: unsupported");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- messages are read by field name
type Msg = any;
type Conv = (value: Msg) => JsonValue;
type FieldWriter = (msg: Msg, out: JsonObject) => void;

// FieldPresence (google.protobuf.FeatureSet): 1 explicit, 2 implicit, 3 legacy required.
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

const hasOwn = Object.prototype.hasOwnProperty;
// Local copies: an imported binding may be read through a getter after transpiling.
const MAX_TEXT_ = MAX_TEXT;
const MAX_LIST_ = MAX_LIST;

function cut(s: string): string {
  return s.length > MAX_TEXT_ ? `${s.slice(0, MAX_TEXT_)}…` : s;
}

// --- scalars -------------------------------------------------------------------------------

function convInt32(v: Msg): JsonValue {
  if (typeof v !== "number") throw UNSUPPORTED;
  return v;
}
function convFloat(v: Msg): JsonValue {
  if (typeof v !== "number") throw UNSUPPORTED;
  if (v !== v) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}
function convString(v: Msg): JsonValue {
  if (typeof v !== "string") throw UNSUPPORTED;
  return v.length > MAX_TEXT_ ? `${v.slice(0, MAX_TEXT_)}…` : v;
}
function convBool(v: Msg): JsonValue {
  if (typeof v !== "boolean") throw UNSUPPORTED;
  return v;
}
function convInt64(v: Msg): JsonValue {
  if (typeof v === "bigint" || typeof v === "string" || (typeof v === "number" && Number.isInteger(v))) {
    return cut(v.toString());
  }
  throw UNSUPPORTED;
}
function convBytes(v: Msg): JsonValue {
  if (!(v instanceof Uint8Array)) throw UNSUPPORTED;
  return cut(base64Encode(v));
}

function scalarConv(scalar: ScalarType): Conv {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
      return convInt32;
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return convFloat;
    case ScalarType.STRING:
      return convString;
    case ScalarType.BOOL:
      return convBool;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return convInt64;
    case ScalarType.BYTES:
      return convBytes;
  }
  throw UNSUPPORTED;
}

/** `isScalarZeroValue` of protobuf-es: the implicit-presence "unset" test. */
function scalarIsZero(scalar: ScalarType): (v: Msg) => boolean {
  switch (scalar) {
    case ScalarType.BOOL:
      return (v) => v === false;
    case ScalarType.STRING:
      return (v) => v === "";
    case ScalarType.BYTES:
      return (v) => v instanceof Uint8Array && !v.byteLength;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (v) => Object.is(v, 0);
    default:
      // `==`, loose on purpose (0n, 0 and "0"), as protobuf-es.
      return (v) => v == 0;
  }
}

// --- enums ---------------------------------------------------------------------------------

const enumConvs = new Map<string, Conv>();

function enumConv(desc: DescEnum): Conv {
  let conv = enumConvs.get(desc.typeName);
  if (conv) return conv;
  if (desc.typeName === "google.protobuf.NullValue") {
    conv = (v) => {
      if (typeof v !== "number") throw UNSUPPORTED;
      return null;
    };
  } else {
    const names = new Map<number, string>();
    for (const value of desc.values) names.set(value.number, cut(value.name));
    conv = (v) => {
      if (typeof v !== "number") throw UNSUPPORTED;
      // An unknown number stays a number, as `toJson` writes it.
      return names.get(v) ?? v;
    };
  }
  enumConvs.set(desc.typeName, conv);
  return conv;
}

// --- messages ------------------------------------------------------------------------------

const MIN_TIMESTAMP_MS = Date.parse("0001-01-01T00:00:00Z");
const MAX_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59Z");
let lastTsMs = Number.NaN;
let lastTsPrefix = "";

/** `timestampToJson` of protobuf-es, with the date part of the last second remembered. */
function convTimestamp(ts: Msg): JsonValue {
  if (ts === null || typeof ts !== "object") throw UNSUPPORTED;
  const text = timestampJsonText(Number(ts.seconds), ts.nanos);
  if (text === undefined) throw UNSUPPORTED;
  return text;
}

/**
 * The JSON string `toJson` writes for a google.protobuf.Timestamp of `seconds` and `nanos`;
 * undefined where `toJson` would throw (out of range) or the format is not the plain one.
 */
export function timestampJsonText(seconds: number, nanos: unknown): string | undefined {
  const ms = seconds * 1000;
  if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) return undefined;
  if (typeof nanos !== "number" || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return undefined;
  let prefix: string;
  if (ms === lastTsMs) {
    prefix = lastTsPrefix;
  } else {
    const iso = new Date(ms).toISOString();
    if (!iso.endsWith(".000Z")) return undefined;
    prefix = iso.slice(0, -5);
    lastTsMs = ms;
    lastTsPrefix = prefix;
  }
  if (nanos === 0) return `${prefix}Z`;
  const nanosStr = (nanos + 1_000_000_000).toString().substring(1);
  if (nanosStr.substring(3) === "000000") return `${prefix}.${nanosStr.substring(0, 3)}Z`;
  if (nanosStr.substring(6) === "000") return `${prefix}.${nanosStr.substring(0, 6)}Z`;
  return `${prefix}.${nanosStr}Z`;
}

const WRAPPERS = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"]);

/** `isWrapperDesc` of protobuf-es. */
function isWrapperDesc(desc: DescMessage): boolean {
  const f = desc.fields[0];
  return (
    desc.typeName.startsWith("google.protobuf.") && WRAPPERS.has(desc.typeName.substring(16)) && f !== undefined && f.fieldKind === "scalar" && f.name === "value" && f.number === 1
  );
}

const messageConvs = new Map<string, Conv>();

/** Converter for a message given as a message object (not an unwrapped wrapper value). */
function messageConv(desc: DescMessage): Conv {
  const cached = messageConvs.get(desc.typeName);
  if (cached) return cached;
  // Installed before building, so recursive message types find it.
  const lazy: Conv = (m) => built(m);
  messageConvs.set(desc.typeName, lazy);
  const built = buildMessageConv(desc);
  messageConvs.set(desc.typeName, built);
  return built;
}

function buildMessageConv(desc: DescMessage): Conv {
  const typeName = desc.typeName;
  if (typeName === "google.protobuf.Timestamp") return convTimestamp;
  if (isWrapperDesc(desc)) {
    const valueField = desc.fields[0];
    if (valueField.fieldKind !== "scalar") throw UNSUPPORTED;
    const conv = scalarConv(valueField.scalar);
    return (m) => {
      if (m === null || typeof m !== "object") throw UNSUPPORTED;
      return conv(m.value);
    };
  }
  if (typeName === "google.protobuf.Struct") {
    return () => {
      throw UNSUPPORTED;
    };
  }
  if (typeName.startsWith("google.protobuf.")) {
    // Any, Duration, FieldMask, Value, ListValue, Empty…: their own JSON forms, which
    // `orderLikeProtojson` leaves as `toJson` wrote them.
    return (m) => {
      if (m === null || typeof m !== "object" || m.$typeName !== typeName) throw UNSUPPORTED;
      return boundFlowJson(toJson(desc, m, jsonOptions));
    };
  }
  // One straight-line function per message type (monomorphic property reads and calls),
  // generated from the descriptor only: names are embedded as JSON string literals.
  const helpers: unknown[] = [];
  const ref = (x: unknown) => `h[${helpers.push(x) - 1}]`;
  let body = `if (m === null || typeof m !== "object" || m.$typeName !== ${JSON.stringify(typeName)}) throw U;\n`;
  if (extendees.has(typeName)) body += "if (m.$unknown !== undefined && m.$unknown.length > 0) throw U;\n";
  body += "const out = {};\nlet v;\n";
  for (const field of desc.fields) body += fieldCode(field, ref);
  body += "return out;\n";
  const factory = new Function("h", "U", "hasOwn", "cut", "MAX_TEXT", `return function (m) {\n${body}};`);
  return factory(helpers, UNSUPPORTED, hasOwn, cut, MAX_TEXT_) as Conv;
}

/** Source code writing one field of `m` into `out` (see `fieldWriter` for the semantics). */
function fieldCode(field: DescField, ref: (x: unknown) => string): string {
  const K = JSON.stringify(field.name);
  const L = JSON.stringify(field.localName);
  if (field.presence === LEGACY_REQUIRED || field.fieldKind === "map" || field.fieldKind === "list") {
    return `${ref(fieldWriter(field))}(m, out);\n`;
  }
  const oneof = field.oneof;
  if (oneof) {
    const conv = ref(valueConv(field, false));
    return `v = m[${JSON.stringify(oneof.localName)}]; if (v === null || typeof v !== "object") throw U;\n` + `if (v.case === ${L}) out[${K}] = ${conv}(v.value);\n`;
  }
  const conv = ref(valueConv(field, true));
  if (field.presence !== IMPLICIT) {
    return `v = m[${L}]; if (v !== undefined && hasOwn.call(m, ${L})) out[${K}] = ${conv}(v);\n`;
  }
  if (field.fieldKind === "enum") {
    return `v = m[${L}]; if (v !== ${field.enum.values[0].number}) out[${K}] = ${conv}(v);\n`;
  }
  if (field.fieldKind !== "scalar") throw UNSUPPORTED;
  switch (field.scalar) {
    case ScalarType.STRING:
      return `v = m[${L}]; if (v !== "") { if (typeof v !== "string") throw U; out[${K}] = v.length > MAX_TEXT ? cut(v) : v; }\n`;
    case ScalarType.BOOL:
      return `v = m[${L}]; if (v !== false) { if (v !== true) throw U; out[${K}] = true; }\n`;
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
      return `v = m[${L}]; if (v !== 0) { if (typeof v !== "number") throw U; out[${K}] = v; }\n`;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return (
        `v = m[${L}]; if (typeof v === "bigint") { if (v !== 0n) out[${K}] = v.toString(); }\n` + `else { if (v === undefined) throw U; if (!(v == 0)) out[${K}] = ${conv}(v); }\n`
      );
  }
  const isZero = ref(scalarIsZero(field.scalar));
  return `v = m[${L}]; if (v === undefined) throw U; if (!${isZero}(v)) out[${K}] = ${conv}(v);\n`;
}

/** Converter for one (singular, list item or oneof) value of a field. */
function valueConv(field: DescField, unwrapped: boolean): Conv {
  switch (field.fieldKind) {
    case "scalar":
      return scalarConv(field.scalar);
    case "enum":
      return enumConv(field.enum);
    case "message": {
      const msgDesc = field.message;
      if (unwrapped && isWrapperDesc(msgDesc)) {
        // A singular wrapper field outside a oneof holds the bare value.
        const valueField = msgDesc.fields[0];
        if (valueField.fieldKind !== "scalar") throw UNSUPPORTED;
        const conv = scalarConv(valueField.scalar);
        return (v) => {
          if (typeof v === "object") throw UNSUPPORTED;
          return conv(v);
        };
      }
      return messageConv(msgDesc);
    }
    case "list": {
      switch (field.listKind) {
        case "scalar":
          return scalarConv(field.scalar);
        case "enum":
          return enumConv(field.enum);
        case "message":
          return messageConv(field.message);
      }
    }
  }
  throw UNSUPPORTED;
}

function fieldWriter(field: DescField): FieldWriter {
  const key = field.name;
  const local = field.localName;
  if (field.presence === LEGACY_REQUIRED) {
    return (m) => {
      if (m[local] === undefined || !hasOwn.call(m, local)) throw UNSUPPORTED;
      throw UNSUPPORTED;
    };
  }
  if (field.fieldKind === "map") {
    return (m) => {
      const v = m[local];
      if (v === null || typeof v !== "object" || Object.keys(v).length > 0) throw UNSUPPORTED;
    };
  }
  if (field.fieldKind === "list") {
    const conv = valueConv(field, false);
    return (m, out) => {
      const list = m[local];
      if (!Array.isArray(list)) throw UNSUPPORTED;
      const len = list.length;
      if (len === 0) return;
      const keep = len > MAX_LIST_ ? MAX_LIST_ : len;
      const arr: JsonValue[] = new Array(keep);
      for (let i = 0; i < keep; i++) arr[i] = conv(list[i]);
      // `toJson` converts the items that are cut too (and may reject one of them).
      for (let i = keep; i < len; i++) conv(list[i]);
      out[key] = arr;
    };
  }
  const oneof = field.oneof;
  if (oneof) {
    const oneofLocal = oneof.localName;
    const conv = valueConv(field, false);
    return (m, out) => {
      const sel = m[oneofLocal];
      if (sel === null || typeof sel !== "object") throw UNSUPPORTED;
      if (sel.case === local) out[key] = conv(sel.value);
    };
  }
  const conv = valueConv(field, true);
  if (field.presence !== IMPLICIT) {
    // Explicit presence: proto3 `optional`, messages, wrappers.
    return (m, out) => {
      const v = m[local];
      if (v === undefined || !hasOwn.call(m, local)) return;
      out[key] = conv(v);
    };
  }
  if (field.fieldKind === "scalar") {
    const isZero = scalarIsZero(field.scalar);
    return (m, out) => {
      const v = m[local];
      if (v === undefined) throw UNSUPPORTED;
      if (isZero(v)) return;
      out[key] = conv(v);
    };
  }
  if (field.fieldKind === "enum") {
    const zero = field.enum.values[0].number;
    return (m, out) => {
      const v = m[local];
      if (v === zero) return;
      out[key] = conv(v);
    };
  }
  throw UNSUPPORTED;
}

// --- entry point ---------------------------------------------------------------------------

let flowConv: Conv | undefined;
let flowConvFailed = false;

/**
 * The specialised converter alone: `undefined` where `flowToBoundedJson` would take the slow
 * path. For tests and benchmarks that want to see the fast path is really taken.
 */
export function flowToBoundedJsonFastOnly(flow: Flow): JsonObject | undefined {
  if (flowConvFailed) return undefined;
  try {
    if (!flowConv) flowConv = messageConv(FlowSchema);
    return flowConv(flow) as JsonObject;
  } catch {
    // Building the converters failed (a descriptor we do not handle): never try again.
    if (!flowConv) flowConvFailed = true;
    return undefined;
  }
}

/** `boundFlowJson(flowToJsonObject(flow))`, fast. */
export function flowToBoundedJson(flow: Flow): JsonObject {
  return flowToBoundedJsonFastOnly(flow) ?? (boundFlowJson(flowToJsonObject(flow)) as JsonObject);
}
