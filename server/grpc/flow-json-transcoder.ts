import "server-only";

// Flow protobuf bytes → the UTF-8 bytes of the bounded jsonpb the browsers get, without building
// message objects: exactly `JSON.stringify(boundFlowJson(flowToJsonObject(fromBinary(FlowSchema,
// bytes))))` (lib/flow-json.ts is the reference; the tests compare every capture line with it).
//
// Exactness first. The plans (flow-json-plan.ts) give per message type its fields in declaration
// order (the order the reference writes), each with its JSON key, its wire type and how `toJson`
// writes it; strings and lists are cut as `boundFlowJson` cuts them. Anything the plans do not
// cover exactly returns `undefined`, and the caller takes the reference, whose result (or error) is
// then the answer: a field repeated on the wire where protobuf merges or picks the last oneof
// member, a wire type other than the declared one, groups, unknown fields on a type registry
// extensions extend, `google.protobuf.Any`, timestamps `toJson` rejects, invalid UTF-8 (fromBinary
// rejects it), truncated or malformed data.
//
// State: each transcoder (`createFlowJsonTranscoder()`) owns its cursor, its scratch records, its
// timestamp memo and its output slabs in its closure; two transcoders share nothing, and the module
// holds no mutable state. One transcoder is not reentrant (it is synchronous, so a single thread
// never re-enters it); a recursive message type makes the whole flow take the reference.

import { base64Encode } from "@bufbuild/protobuf/wire";
import { MAX_LIST, MAX_TEXT } from "@/lib/flow-model";
import * as plan from "./flow-json-plan";
import type { FieldPlan, MessagePlan } from "./flow-json-plan";

/** A flow as the JSON bytes browsers get, plus what the server keys and orders it by. */
export interface TranscodedFlow {
  /** UTF-8 of the bounded jsonpb object. A view into the transcoder's slab: never written again. */
  readonly json: Uint8Array;
  /** `uuid` as decoded (not cut); "" when absent. */
  readonly uuid: string;
  /** `time`, when the flow has one. */
  readonly time: { readonly seconds: number; readonly nanos: number } | undefined;
}

// Local copies of the plan module's values: an imported binding is read through a getter after
// transpiling, which in the hot switch of `writeValue` cost ~25 % of the transcoder (bench/codec.ts).
const { FLOW_PLAN, FLOW_TIME_INDEX, FLOW_UUID_INDEX, ALL_PLANS, cutText, secondPrefix, timestampJsonText } = plan;
const { K_BOOL, K_BOOL_WRAPPER, K_BYTES, K_ENUM, K_INT32, K_INT64, K_MESSAGE, K_STRING, K_TIMESTAMP, K_UINT32, K_UINT64 } = plan;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("flow-json-transcoder: unsupported");

// Local copies: an imported binding may be read through a getter after transpiling.
const MAX_TEXT_ = MAX_TEXT;
const MAX_LIST_ = MAX_LIST;

const enc = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);

// Output goes into slabs: each flow's JSON is a view of the slab it was written in (no copy per
// flow); a flow that does not fit in what is left of a slab moves to a fresh one.
const SLAB = 1 << 17;

/** One message type's record while one message of it is read. */
interface Scratch {
  /** Value start of each singular field, -1 when absent. */
  readonly at: Int32Array;
  /** Value starts of each list field… */
  readonly lists: number[][];
  /** …and how many of them are this message's. */
  readonly listCounts: Int32Array;
  readonly oneofSeen: Int32Array;
  busy: boolean;
}

export interface FlowJsonTranscoder {
  /**
   * The bounded jsonpb bytes of the Flow encoded in `bytes[start, end)`, or undefined where only
   * the reference gives the exact answer (see the header).
   */
  transcode(bytes: Uint8Array, start?: number, end?: number): TranscodedFlow | undefined;
}

/** A transcoder with its own buffers. */
export function createFlowJsonTranscoder(): FlowJsonTranscoder {
  // One record per planned type, built up front: a packed array, read by plan id.
  const scratch: Scratch[] = ALL_PLANS.map((plan) => {
    const n = plan.fields.length;
    return { at: new Int32Array(n), lists: plan.fields.map(() => []), listCounts: new Int32Array(n), oneofSeen: new Int32Array(plan.oneofCount), busy: false };
  });

  // --- input ---------------------------------------------------------------------------------

  let buf: Uint8Array = EMPTY;
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
    writeText(JSON.stringify(cutText(text)));
  }

  /** The decimal text of the 64-bit varint in `lo`/`hi`, as protobuf-es's bigint prints it. */
  function int64Text(signed: boolean): string {
    if (hi === 0 && lo >= 0) return String(lo);
    const unsigned = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return String(signed ? BigInt.asIntN(64, unsigned) : unsigned);
  }

  // --- messages ------------------------------------------------------------------------------

  /** Scans the message in [p, end) into its scratch record. */
  function scan(plan: MessagePlan, s: Scratch, end: number): void {
    const at = s.at;
    at.fill(-1);
    s.listCounts.fill(0);
    s.oneofSeen.fill(-1);
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
        s.lists[index][s.listCounts[index]++] = start;
        continue;
      }
      // A singular field seen twice (messages merge, the last scalar wins, every string is
      // validated) or a second oneof member: rare enough to leave to fromBinary.
      if (at[index] >= 0) throw UNSUPPORTED;
      if (f.oneof >= 0) {
        if (s.oneofSeen[f.oneof] >= 0) throw UNSUPPORTED;
        s.oneofSeen[f.oneof] = index;
      }
      at[index] = start;
    }
    if (p !== end) throw UNSUPPORTED;
  }

  /** Writes the JSON object of the message whose bytes are [p, end); returns its scratch record. */
  function writeMessage(plan: MessagePlan, end: number): Scratch {
    const s = scratch[plan.id];
    if (s.busy) throw UNSUPPORTED;
    s.busy = true;
    scan(plan, s, end);
    reserve(1);
    out[o++] = 0x7b;
    let first = true;
    const fields = plan.fields;
    const at = s.at;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.list) {
        const items = s.lists[i];
        const count = s.listCounts[i];
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
    s.busy = false;
    return s;
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
        writeText(JSON.stringify(cutText(base64Encode(bytes))));
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
        const text = timestampJsonText(tsSeconds, tsNanos, prefixOf);
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
  let lastTsMs = Number.NaN;
  let lastTsPrefix: string | undefined;
  /** The date part of a whole second, remembered for the last second seen (flows come in time order). */
  function prefixOf(ms: number): string | undefined {
    if (ms !== lastTsMs) {
      lastTsMs = ms;
      lastTsPrefix = secondPrefix(ms);
    }
    return lastTsPrefix;
  }

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

  function transcode(bytes: Uint8Array, start = 0, end = bytes.length): TranscodedFlow | undefined {
    try {
      buf = bytes;
      p = start;
      if (out.length - o < 4096) {
        out = new Uint8Array(SLAB);
        o = 0;
      }
      flowStart = o;
      const flow = writeMessage(FLOW_PLAN, end);
      const json = out.subarray(flowStart, o);
      let uuid = "";
      const uuidAt = flow.at[FLOW_UUID_INDEX];
      if (uuidAt >= 0) {
        p = uuidAt;
        const len = varint32(end);
        uuid = decoder.decode(bytes.subarray(p, p + len));
      }
      let time: TranscodedFlow["time"];
      const timeAt = flow.at[FLOW_TIME_INDEX];
      if (timeAt >= 0) {
        p = timeAt;
        const len = varint32(end);
        readTimestamp(p + len);
        time = { seconds: tsSeconds, nanos: tsNanos };
      }
      return { json, uuid, time };
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      for (const s of scratch) s.busy = false;
      o = flowStart;
      return undefined;
    } finally {
      buf = EMPTY;
    }
  }

  return { transcode };
}
