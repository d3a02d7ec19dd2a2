import "server-only";

// The part of a flow's bounded jsonpb that `toFlowRow` reads (lib/flow-model's FLOW_ROW_FIELDS),
// as a JSON object, read straight from the Flow's protobuf bytes: what the hub's aggregation and
// sampler need per flow, without a JSON.parse of the whole JSON text (the JSON bytes still go to
// the browsers as they are). Values are exactly the transcoder's (flow-json-plan.ts: enum names,
// zero values left out, 64-bit integers as strings, strings and lists cut), so `toFlowRow` of this
// object equals `toFlowRow` of the whole JSON; the test holds them equal over the captures.
//
// Only for a flow the transcoder accepted (its wire form is then plain: each singular field at most
// once, declared wire types). Anything else returns undefined, and the caller parses the JSON.
// Stateless: a cursor per call.

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { FLOW_ROW_FIELDS, type FlowFieldSpec, MAX_LIST } from "@/lib/flow-model";
import {
  FLOW_PLAN,
  type FieldPlan,
  K_BOOL,
  K_BOOL_WRAPPER,
  K_BYTES,
  K_ENUM,
  K_INT32,
  K_INT64,
  K_MESSAGE,
  K_STRING,
  K_TIMESTAMP,
  K_UINT32,
  K_UINT64,
  type MessagePlan,
  cutText,
  timestampJsonText,
} from "./flow-json-plan";

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("flow-row-json: unsupported");

/** A message type with the fields one spec reads: per field index, its projection or undefined. */
interface Projection {
  readonly plan: MessagePlan;
  readonly fields: Array<ProjectedField | undefined>;
}

interface ProjectedField {
  readonly plan: FieldPlan;
  readonly name: string;
  readonly index: number;
  /** For message fields read in part. */
  readonly message: Projection | undefined;
}

function project(plan: MessagePlan, spec: FlowFieldSpec): Projection {
  const fields: Array<ProjectedField | undefined> = plan.fields.map(() => undefined);
  for (const [name, sub] of Object.entries(spec)) {
    const index = plan.names.indexOf(name);
    if (index < 0) throw new Error(`FLOW_ROW_FIELDS: ${plan.typeName} has no field ${name}`);
    const field = plan.fields[index];
    const message = sub === true ? (field.message ? project(field.message, everyField(field.message)) : undefined) : project(field.message!, sub);
    fields[index] = { plan: field, name, index, message };
  }
  return { plan, fields };
}

/** A spec reading every field of a message (recursively). */
function everyField(plan: MessagePlan, seen: Set<string> = new Set()): FlowFieldSpec {
  if (seen.has(plan.typeName)) throw new Error(`FLOW_ROW_FIELDS: ${plan.typeName} is recursive; name its fields`);
  const spec: Record<string, true | FlowFieldSpec> = {};
  plan.fields.forEach((f, i) => {
    spec[plan.names[i]] = f.message ? everyField(f.message, new Set([...seen, plan.typeName])) : true;
  });
  return spec;
}

const FLOW_PROJECTION = project(FLOW_PLAN, FLOW_ROW_FIELDS);

const decoder = new TextDecoder();

interface Cursor {
  readonly b: Uint8Array;
  p: number;
  lo: number;
  hi: number;
}

function varint32(c: Cursor, end: number): number {
  const b = c.b;
  let p = c.p;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (p >= end) throw UNSUPPORTED;
    const x = b[p++];
    if (shift < 28) result |= (x & 0x7f) << shift;
    else result |= (x & 0x0f) << 28;
    if ((x & 0x80) === 0) {
      c.p = p;
      return result >>> 0;
    }
  }
  for (let i = 5; i < 10; i++) {
    if (p >= end) throw UNSUPPORTED;
    if ((b[p++] & 0x80) === 0) {
      c.p = p;
      return result >>> 0;
    }
  }
  throw UNSUPPORTED;
}

/** A varint into `lo`/`hi`, as protobuf-es reads it. */
function varint64(c: Cursor, end: number): void {
  const b = c.b;
  let lo = 0;
  let hi = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (c.p >= end) throw UNSUPPORTED;
    const x = b[c.p++];
    if (shift < 28) lo |= (x & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (x & 0x0f) << 28;
      hi = (x & 0x70) >> 4;
    } else hi |= (x & 0x7f) << (shift - 32);
    if ((x & 0x80) === 0) {
      c.lo = lo;
      c.hi = hi;
      return;
    }
  }
  throw UNSUPPORTED;
}

function skip(c: Cursor, wire: number, end: number): void {
  switch (wire) {
    case 0:
      varint64(c, end);
      return;
    case 1:
      c.p += 8;
      break;
    case 2: {
      const len = varint32(c, end); // before reading c.p: the varint moves it
      c.p += len;
      break;
    }
    case 5:
      c.p += 4;
      break;
    default:
      throw UNSUPPORTED;
  }
  if (c.p > end) throw UNSUPPORTED;
}

function int64Text(c: Cursor, signed: boolean): string {
  if (c.hi === 0 && c.lo >= 0) return String(c.lo);
  const unsigned = (BigInt(c.hi >>> 0) << 32n) | BigInt(c.lo >>> 0);
  return String(signed ? BigInt.asIntN(64, unsigned) : unsigned);
}

/** One value of `f` at the cursor as the JSON has it; undefined for an implicit-presence zero. */
function readValue(c: Cursor, f: ProjectedField, end: number): JsonValue | undefined {
  const plan = f.plan;
  switch (plan.kind) {
    case K_STRING: {
      const len = varint32(c, end);
      const start = c.p;
      c.p += len;
      if (c.p > end) throw UNSUPPORTED;
      if (len === 0 && !plan.list) return undefined;
      return cutText(decoder.decode(c.b.subarray(start, c.p)));
    }
    case K_BOOL:
      varint64(c, end);
      return c.lo !== 0 || c.hi !== 0 ? true : undefined;
    case K_INT32: {
      const v = varint32(c, end) | 0;
      return v === 0 ? undefined : v;
    }
    case K_UINT32: {
      const v = varint32(c, end);
      return v === 0 ? undefined : v;
    }
    case K_INT64:
    case K_UINT64:
      varint64(c, end);
      return c.lo === 0 && c.hi === 0 ? undefined : int64Text(c, plan.kind === K_INT64);
    case K_BYTES: {
      const len = varint32(c, end);
      const start = c.p;
      c.p += len;
      if (c.p > end) throw UNSUPPORTED;
      return len === 0 ? undefined : cutText(base64Encode(c.b.subarray(start, c.p)));
    }
    case K_ENUM: {
      const v = varint32(c, end) | 0;
      if (v === plan.enumZero) return undefined;
      return plan.enumText!.get(v) ?? v;
    }
    case K_MESSAGE: {
      const len = varint32(c, end);
      const stop = c.p + len;
      if (stop > end) throw UNSUPPORTED;
      return readMessage(c, f.message!, stop);
    }
    case K_TIMESTAMP: {
      const len = varint32(c, end);
      const stop = c.p + len;
      if (stop > end) throw UNSUPPORTED;
      let seconds = 0;
      let nanos = 0;
      while (c.p < stop) {
        const tag = varint32(c, stop);
        if (tag === 8) {
          varint64(c, stop);
          seconds = (c.hi | 0) * 4294967296 + (c.lo >>> 0);
        } else if (tag === 16) nanos = varint32(c, stop) | 0;
        else skip(c, tag & 7, stop);
      }
      const text = timestampJsonText(seconds, nanos);
      if (text === undefined) throw UNSUPPORTED;
      return text;
    }
    case K_BOOL_WRAPPER: {
      const len = varint32(c, end);
      const stop = c.p + len;
      if (stop > end) throw UNSUPPORTED;
      let value = false;
      while (c.p < stop) {
        const tag = varint32(c, stop);
        if (tag === 8) {
          varint64(c, stop);
          value = c.lo !== 0 || c.hi !== 0;
        } else skip(c, tag & 7, stop);
      }
      return value;
    }
  }
  throw UNSUPPORTED;
}

/** The projected fields of the message in [p, end), keys in declaration order as in the JSON. */
function readMessage(c: Cursor, proj: Projection, end: number): JsonObject {
  const plan = proj.plan;
  const out: JsonObject = {};
  let lastIndex = -1;
  let ordered = true;
  while (c.p < end) {
    const tag = varint32(c, end);
    const fieldNo = tag >>> 3;
    const index = (fieldNo < 64 ? plan.small[fieldNo] : (plan.large.get(fieldNo) ?? 0)) - 1;
    const f = index >= 0 ? proj.fields[index] : undefined;
    if (!f) {
      skip(c, tag & 7, end);
      continue;
    }
    if ((tag & 7) !== f.plan.wire) throw UNSUPPORTED;
    const value = readValue(c, f, end);
    if (f.plan.list) {
      const list = (out[f.name] ??= []) as JsonValue[];
      if (list.length < MAX_LIST) list.push(value as JsonValue);
    } else if (value !== undefined) {
      if (f.name in out) throw UNSUPPORTED; // a singular field twice: not the plain form
      out[f.name] = value;
    } else continue;
    if (index < lastIndex) ordered = false;
    lastIndex = index;
  }
  if (c.p !== end) throw UNSUPPORTED;
  if (ordered) return out;
  const sorted: JsonObject = {};
  for (const f of proj.fields) if (f && f.name in out) sorted[f.name] = out[f.name];
  return sorted;
}

/**
 * The fields of FLOW_ROW_FIELDS of the Flow in `bytes[start, end)`, as its bounded jsonpb has them;
 * undefined when the bytes are not the plain form the transcoder accepts (then parse the JSON).
 */
export function flowRowJson(bytes: Uint8Array, start = 0, end = bytes.length): JsonObject | undefined {
  try {
    return readMessage({ b: bytes, p: start, lo: 0, hi: 0 }, FLOW_PROJECTION, end);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
