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
// timestamp memo and its output slabs in its own fields; two transcoders share nothing, and the module
// holds no mutable state. One transcoder is not reentrant (it is synchronous, so a single thread
// never re-enters it); a recursive message type makes the whole flow take the reference.
//
// This module is the JSON writer (the output slabs, the messages, the values); the wire reader it
// extends (cursor, varints, skipping, timestamps) is flow-json-wire.ts.

import { base64Encode } from "@bufbuild/protobuf/wire";
import { MAX_LIST, MAX_TEXT } from "@/lib/flow-model";
import * as plan from "./flow-json-plan";
import type { FieldPlan, MessagePlan } from "./flow-json-plan";
import * as wire from "./flow-json-wire";

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
const { FLOW_PLAN, FLOW_TIME_INDEX, FLOW_UUID_INDEX, ALL_PLANS, cutText, lastSecondPrefix, timestampJsonText } = plan;
const { K_BOOL, K_BOOL_WRAPPER, K_BYTES, K_ENUM, K_INT32, K_INT64, K_MESSAGE, K_STRING, K_TIMESTAMP, K_UINT32, K_UINT64 } = plan;

// Local copies: an imported binding may be read through a getter after transpiling.
const MAX_TEXT_ = MAX_TEXT;
const MAX_LIST_ = MAX_LIST;
const { EMPTY, UNSUPPORTED, Unsupported, WireReader } = wire;

const enc = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

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
  return new Transcoder();
}

/** One transcoder's output side and its messages; the input side is the `WireReader` it extends. */
class Transcoder extends WireReader implements FlowJsonTranscoder {
  // One record per planned type, built up front: a packed array, read by plan id.
  private readonly scratch: Scratch[] = ALL_PLANS.map((plan) => {
    const n = plan.fields.length;
    return { at: new Int32Array(n), lists: plan.fields.map(() => []), listCounts: new Int32Array(n), oneofSeen: new Int32Array(plan.oneofCount), busy: false };
  });

  private out = new Uint8Array(SLAB);
  private o = 0;
  /** Where the flow being written starts in `out`. */
  private flowStart = 0;

  /** The date part of a whole second, remembered for the last second seen. */
  private readonly prefixOf = lastSecondPrefix();

  private reserve(n: number): void {
    if (this.o + n <= this.out.length) return;
    const written = this.o - this.flowStart;
    const fresh = new Uint8Array(Math.max(SLAB, (written + n) * 2));
    fresh.set(this.out.subarray(this.flowStart, this.o));
    this.out = fresh;
    this.flowStart = 0;
    this.o = written;
  }

  private writeBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n);
    const dst = this.out;
    let d = this.o;
    for (let i = 0; i < n; i++) dst[d++] = bytes[i];
    this.o = d;
  }

  private writeAscii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const dst = this.out;
    let d = this.o;
    for (let i = 0; i < n; i++) dst[d++] = s.charCodeAt(i);
    this.o = d;
  }

  private writeText(s: string): void {
    this.writeBytes(enc.encode(s));
  }

  /** The length-delimited string value at `p`, as JSON text. */
  private writeString(end: number, strict: boolean): void {
    const len = this.varint32(end);
    const start = this.p;
    const stop = start + len;
    if (stop > end) throw UNSUPPORTED;
    this.p = stop;
    if (len <= MAX_TEXT_) {
      // Printable ASCII without quotes or backslashes is its own JSON text.
      const src = this.buf;
      let i = start;
      for (; i < stop; i++) {
        const c = src[i];
        if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) break;
      }
      if (i === stop) {
        this.reserve(len + 2);
        const dst = this.out;
        let d = this.o;
        dst[d++] = 0x22;
        if (len > 64) {
          dst.set(src.subarray(start, stop), d);
          d += len;
        } else {
          for (let j = start; j < stop; j++) dst[d++] = src[j];
        }
        dst[d++] = 0x22;
        this.o = d;
        return;
      }
    }
    let text: string;
    try {
      text = (strict ? strictDecoder : decoder).decode(this.buf.subarray(start, stop));
    } catch {
      throw UNSUPPORTED; // fromBinary rejects invalid UTF-8 in a validated string
    }
    this.writeText(JSON.stringify(cutText(text)));
  }

  /** Scans the message in [p, end) into its scratch record. */
  private scan(plan: MessagePlan, s: Scratch, end: number): void {
    const at = s.at;
    at.fill(-1);
    s.listCounts.fill(0);
    s.oneofSeen.fill(-1);
    const fields = plan.fields;
    while (this.p < end) {
      const tag = this.varint32(end);
      const fieldNo = tag >>> 3;
      const wire = tag & 7;
      const index = (fieldNo < 64 ? plan.small[fieldNo] : (plan.large.get(fieldNo) ?? 0)) - 1;
      if (index < 0) {
        if (fieldNo === 0 || plan.extendee) throw UNSUPPORTED;
        this.skip(wire, end);
        continue;
      }
      const f = fields[index];
      if (wire !== f.wire) throw UNSUPPORTED;
      const start = this.p;
      this.skip(wire, end);
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
    if (this.p !== end) throw UNSUPPORTED;
  }

  /** Writes the JSON object of the message whose bytes are [p, end); returns its scratch record. */
  private writeMessage(plan: MessagePlan, end: number): Scratch {
    const s = this.scratch[plan.id];
    if (s.busy) throw UNSUPPORTED;
    s.busy = true;
    this.scan(plan, s, end);
    this.reserve(1);
    this.out[this.o++] = 0x7b;
    let first = true;
    const fields = plan.fields;
    const at = s.at;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.list) {
        const items = s.lists[i];
        const count = s.listCounts[i];
        if (count === 0) continue;
        if (!first) this.writeComma();
        first = false;
        this.writeBytes(f.key);
        this.reserve(1);
        this.out[this.o++] = 0x5b;
        for (let j = 0; j < count; j++) {
          // Items past the cut are converted too (and may send the flow to the slow path), then dropped.
          const mark = this.o;
          if (j > 0) this.writeComma();
          this.p = items[j];
          this.writeValue(f, end);
          if (j >= MAX_LIST_) this.o = mark;
        }
        this.reserve(1);
        this.out[this.o++] = 0x5d;
        continue;
      }
      const start = at[i];
      if (start < 0) continue;
      this.p = start;
      const mark = this.o;
      if (!first) this.writeComma();
      this.writeBytes(f.key);
      if (this.writeValue(f, end)) first = false;
      else this.o = mark; // an implicit-presence zero value is not written
    }
    this.reserve(1);
    this.out[this.o++] = 0x7d;
    this.p = end;
    s.busy = false;
    return s;
  }

  private writeComma(): void {
    this.reserve(1);
    this.out[this.o++] = 0x2c;
  }

  /** Writes the value at `p`; false when it is an implicit-presence zero (nothing to write). */
  private writeValue(f: FieldPlan, end: number): boolean {
    switch (f.kind) {
      case K_STRING: {
        if (this.buf[this.p] === 0 && !f.list) return false;
        this.writeString(end, f.strictUtf8);
        return true;
      }
      case K_BOOL:
        this.varint64(end);
        if (this.lo === 0 && this.hi === 0) return false;
        this.writeAscii("true");
        return true;
      case K_INT32: {
        const v = this.varint32(end) | 0;
        if (v === 0) return false;
        this.writeAscii(String(v));
        return true;
      }
      case K_UINT32: {
        const v = this.varint32(end);
        if (v === 0) return false;
        this.writeAscii(String(v));
        return true;
      }
      case K_INT64:
      case K_UINT64:
        this.varint64(end);
        if (this.lo === 0 && this.hi === 0) return false;
        this.writeAscii(`"${this.int64Text(f.kind === K_INT64)}"`);
        return true;
      case K_BYTES: {
        const len = this.varint32(end);
        if (this.p + len > end) throw UNSUPPORTED;
        const bytes = this.buf.subarray(this.p, this.p + len);
        this.p += len;
        if (len === 0) return false;
        this.writeText(JSON.stringify(cutText(base64Encode(bytes))));
        return true;
      }
      case K_ENUM: {
        const v = this.varint32(end) | 0;
        if (v === f.enumZero) return false;
        const name = f.enumNames!.get(v);
        if (name) this.writeBytes(name);
        else this.writeAscii(String(v)); // an unknown number stays a number, as `toJson` writes it
        return true;
      }
      case K_MESSAGE: {
        const len = this.varint32(end);
        const stop = this.p + len;
        if (stop > end) throw UNSUPPORTED;
        this.writeMessage(f.message!, stop);
        return true;
      }
      case K_TIMESTAMP: {
        const len = this.varint32(end);
        const stop = this.p + len;
        if (stop > end) throw UNSUPPORTED;
        this.readTimestamp(stop);
        const text = timestampJsonText(this.tsSeconds, this.tsNanos, this.prefixOf);
        if (text === undefined) throw UNSUPPORTED;
        this.reserve(text.length + 2);
        this.out[this.o++] = 0x22;
        this.writeAscii(text);
        this.out[this.o++] = 0x22;
        return true;
      }
      case K_BOOL_WRAPPER: {
        const len = this.varint32(end);
        const stop = this.p + len;
        if (stop > end) throw UNSUPPORTED;
        let value = false;
        while (this.p < stop) {
          const tag = this.varint32(stop);
          if (tag === 8) {
            this.varint64(stop);
            value = this.lo !== 0 || this.hi !== 0;
          } else if (tag >>> 3 === 0 || tag >>> 3 === 1) {
            throw UNSUPPORTED;
          } else {
            this.skip(tag & 7, stop);
          }
        }
        this.writeAscii(value ? "true" : "false");
        return true;
      }
    }
    throw UNSUPPORTED;
  }

  transcode(bytes: Uint8Array, start = 0, end = bytes.length): TranscodedFlow | undefined {
    try {
      this.buf = bytes;
      this.p = start;
      if (this.out.length - this.o < 4096) {
        this.out = new Uint8Array(SLAB);
        this.o = 0;
      }
      this.flowStart = this.o;
      const flow = this.writeMessage(FLOW_PLAN, end);
      const json = this.out.subarray(this.flowStart, this.o);
      let uuid = "";
      const uuidAt = flow.at[FLOW_UUID_INDEX];
      if (uuidAt >= 0) {
        this.p = uuidAt;
        const len = this.varint32(end);
        uuid = decoder.decode(bytes.subarray(this.p, this.p + len));
      }
      let time: TranscodedFlow["time"];
      const timeAt = flow.at[FLOW_TIME_INDEX];
      if (timeAt >= 0) {
        this.p = timeAt;
        const len = this.varint32(end);
        this.readTimestamp(this.p + len);
        time = { seconds: this.tsSeconds, nanos: this.tsNanos };
      }
      return { json, uuid, time };
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      for (const s of this.scratch) s.busy = false;
      this.o = this.flowStart;
      return undefined;
    } finally {
      this.buf = EMPTY;
    }
  }
}
