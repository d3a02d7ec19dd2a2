import "server-only";

// The demo relay's protobuf writer primitives: the slab-backed Writer, varints, tags and length-delimited chunks (for ./fast-encode.ts).

import type { Timestamp } from "@bufbuild/protobuf/wkt";

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;
export const utf8 = new TextEncoder();

/**
 * Results are written straight into shared slabs and handed out as views on them: no copy, and one
 * ArrayBuffer per ~1,000 flows instead of one per flow, which the garbage collector would track
 * and sweep one by one (at 50,000 flows/s a large share of the relay's GC time). A slab lives
 * while any view on it does; flows leave the rings in the order they entered, so slabs are freed
 * in turn. Bytes of a committed result are never written again.
 */
const SLAB_BYTES = 1024 * 1024;

export class Writer {
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

/** Whether a message carries fields this encoder does not know (it then takes `toBinary`). */
export function hasUnknown(m: { $unknown?: readonly unknown[] }): boolean {
  return m.$unknown !== undefined && m.$unknown.length > 0;
}

export function lengthDelimited(fieldNumber: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(tagSize(fieldNumber) + varintSize(payload.length) + payload.length);
  const pos = writeVarint(out, writeTag(out, 0, fieldNumber, WIRE_LEN), payload.length);
  out.set(payload, pos);
  return out;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
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

export function tagBytes(fieldNumber: number, wireType: number): Uint8Array {
  const out = new Uint8Array(varintSize(fieldNumber * 8 + wireType));
  writeTag(out, 0, fieldNumber, wireType);
  return out;
}

export function tagSize(fieldNumber: number): number {
  return varintSize(fieldNumber * 8 + WIRE_LEN);
}

export function writeTag(out: Uint8Array, pos: number, fieldNumber: number, wireType: number): number {
  return writeVarint(out, pos, fieldNumber * 8 + wireType);
}

/** Size of a non-negative integer below 2^53 as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes a non-negative integer below 2^53 as a varint; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}
