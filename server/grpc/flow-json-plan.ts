import "server-only";

// What the Flow → jsonpb transcoder (flow-json-transcoder.ts) knows about each message type, built
// once from the generated descriptors: per field its JSON key, its wire type and how `toJson` writes
// it. Plans are immutable and shared by every transcoder; everything that changes while a message
// is read (cursors, scratch records, output) belongs to a transcoder instance.

import { ScalarType, createRegistry } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { FlowSchema, file_flow_flow } from "@/proto/gen/flow/flow_pb";
import { file_observer_observer } from "@/proto/gen/observer/observer_pb";
import { file_relay_relay } from "@/proto/gen/relay/relay_pb";
import { MAX_TEXT } from "@/lib/flow-model";

// The registry of lib/flow-json.ts (the reference): `toJson` writes registry extensions of a
// message from its unknown fields, so a message of an extended type with unknown fields is left to
// the reference.
const registry = createRegistry(file_flow_flow, file_relay_relay, file_observer_observer);
const extendees = new Set<string>();
for (const type of registry) if (type.kind === "extension") extendees.add(type.extendee.typeName);

// What a field is to the transcoder.
export const K_STRING = 1;
export const K_BOOL = 2;
export const K_INT32 = 3;
export const K_UINT32 = 4;
export const K_INT64 = 5;
export const K_UINT64 = 6;
export const K_BYTES = 7;
export const K_ENUM = 8;
export const K_MESSAGE = 9;
export const K_TIMESTAMP = 10;
export const K_BOOL_WRAPPER = 11;
/** Any occurrence sends the flow to the reference (Any, maps, other types). */
export const K_REJECT = 12;

export const W_VARINT = 0;
export const W_LEN = 2;

export interface FieldPlan {
  readonly kind: number;
  readonly list: boolean;
  readonly wire: number;
  /** `"json_name":` in UTF-8. */
  readonly key: Uint8Array;
  /** Index into the message's oneofs, or -1. */
  readonly oneof: number;
  readonly strictUtf8: boolean;
  readonly enumNames: Map<number, Uint8Array> | undefined;
  readonly enumZero: number;
  readonly message: MessagePlan | undefined;
}

export interface MessagePlan {
  /** Dense, from 0: where a transcoder keeps this type's scratch record. */
  readonly id: number;
  readonly typeName: string;
  readonly fields: FieldPlan[];
  /** Field number → index + 1, for numbers < 64. */
  readonly small: Int32Array;
  readonly large: Map<number, number>;
  readonly extendee: boolean;
  readonly oneofCount: number;
}

const enc = new TextEncoder();
const plans = new Map<string, MessagePlan>();

function planFor(desc: DescMessage): MessagePlan {
  const cached = plans.get(desc.typeName);
  if (cached) return cached;
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = {
    id: plans.size,
    typeName: desc.typeName,
    fields,
    small: new Int32Array(64),
    large: new Map(),
    extendee: extendees.has(desc.typeName),
    oneofCount: desc.oneofs.length,
  };
  plans.set(desc.typeName, plan); // before the fields, so recursive types find it
  desc.fields.forEach((field, i) => {
    fields.push(fieldPlan(field, field.oneof ? desc.oneofs.indexOf(field.oneof) : -1));
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
    for (const v of field.enum.values) enumNames.set(v.number, enc.encode(JSON.stringify(cutText(v.name))));
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

/** A string cut as `boundFlowJson` cuts it. */
export function cutText(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

/** The Flow's plan (every message type it reaches is planned with it). */
export const FLOW_PLAN: MessagePlan = planFor(FlowSchema);
/** Every planned message type, by id: what a transcoder builds its scratch table from. */
export const ALL_PLANS: readonly MessagePlan[] = [...plans.values()];
export const FLOW_UUID_INDEX = FlowSchema.fields.findIndex((f) => f.name === "uuid");
export const FLOW_TIME_INDEX = FlowSchema.fields.findIndex((f) => f.name === "time");

const MIN_TIMESTAMP_MS = Date.parse("0001-01-01T00:00:00Z");
const MAX_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59Z");

/**
 * The JSON string `toJson` writes for a google.protobuf.Timestamp of `seconds` and `nanos`;
 * undefined where `toJson` would throw (out of range) or the format is not the plain one.
 * `prefixOf` gives the RFC 3339 text of a whole second without ".000Z" (a caller may cache it).
 */
export function timestampJsonText(seconds: number, nanos: unknown, prefixOf: (ms: number) => string | undefined = secondPrefix): string | undefined {
  const ms = seconds * 1000;
  if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) return undefined;
  if (typeof nanos !== "number" || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return undefined;
  const prefix = prefixOf(ms);
  if (prefix === undefined) return undefined;
  if (nanos === 0) return `${prefix}Z`;
  const nanosStr = (nanos + 1_000_000_000).toString().substring(1);
  if (nanosStr.substring(3) === "000000") return `${prefix}.${nanosStr.substring(0, 3)}Z`;
  if (nanosStr.substring(6) === "000") return `${prefix}.${nanosStr.substring(0, 6)}Z`;
  return `${prefix}.${nanosStr}Z`;
}

/** "2026-12-05T04:07:00" for a whole second in ms; undefined when toISOString is not of that form. */
export function secondPrefix(ms: number): string | undefined {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? iso.slice(0, -5) : undefined;
}

/** `secondPrefix`, remembered for the last second asked (flows come in time order): one per reader. */
export function lastSecondPrefix(): (ms: number) => string | undefined {
  let lastMs = Number.NaN;
  let last: string | undefined;
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      last = secondPrefix(ms);
    }
    return last;
  };
}
