import "server-only";

// The Flow → jsonpb transcoder's wire reader: a cursor over protobuf bytes that reads varints, skips values and reads timestamps as protobuf-es does.

/** Where only the reference gives the exact answer: thrown by the reader and the writer, caught by `transcode`. */
export class Unsupported extends Error {}
export const UNSUPPORTED = new Unsupported("flow-json-transcoder: unsupported");

export const EMPTY = new Uint8Array(0);

/**
 * The input side of a transcoder (flow-json-transcoder.ts extends it): the bytes being read, the
 * cursor, and the last varint and timestamp read. Reading past `end` or malformed data throws
 * `UNSUPPORTED`.
 */
export class WireReader {
  protected buf: Uint8Array = EMPTY;
  protected p = 0;
  // The two halves of the last varint read by `varint64`.
  protected lo = 0;
  protected hi = 0;
  // The last timestamp read by `readTimestamp`.
  protected tsSeconds = 0;
  protected tsNanos = 0;

  /** A varint's low 32 bits as protobuf-es's `uint32()` reads them (at most 10 bytes). */
  protected varint32(end: number): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.p >= end) throw UNSUPPORTED;
      const b = this.buf[this.p++];
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result |= (b & 0x0f) << 28;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    for (let i = 5; i < 10; i++) {
      if (this.p >= end) throw UNSUPPORTED;
      if ((this.buf[this.p++] & 0x80) === 0) return result >>> 0;
    }
    throw UNSUPPORTED;
  }

  /** A varint into `lo`/`hi` as protobuf-es's `varint64read` reads it. */
  protected varint64(end: number): void {
    this.lo = 0;
    this.hi = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.p >= end) throw UNSUPPORTED;
      const b = this.buf[this.p++];
      this.lo |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return;
    }
    if (this.p >= end) throw UNSUPPORTED;
    const middle = this.buf[this.p++];
    this.lo |= (middle & 0x0f) << 28;
    this.hi = (middle & 0x70) >> 4;
    if ((middle & 0x80) === 0) return;
    for (let shift = 3; shift <= 31; shift += 7) {
      if (this.p >= end) throw UNSUPPORTED;
      const b = this.buf[this.p++];
      this.hi |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return;
    }
    throw UNSUPPORTED;
  }

  /** Skips one value of `wire` type; only the types protobuf-es skips the same way. */
  protected skip(wire: number, end: number): void {
    switch (wire) {
      case 0:
        this.varint64(end);
        return;
      case 1:
        this.p += 8;
        break;
      case 2: {
        const len = this.varint32(end);
        this.p += len;
        break;
      }
      case 5:
        this.p += 4;
        break;
      default:
        throw UNSUPPORTED; // groups
    }
    if (this.p > end) throw UNSUPPORTED;
  }

  /** The decimal text of the 64-bit varint in `lo`/`hi`, as protobuf-es's bigint prints it. */
  protected int64Text(signed: boolean): string {
    if (this.hi === 0 && this.lo >= 0) return String(this.lo);
    const unsigned = (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
    return String(signed ? BigInt.asIntN(64, unsigned) : unsigned);
  }

  /** A google.protobuf.Timestamp in [p, end) into `tsSeconds`/`tsNanos` (last value wins). */
  protected readTimestamp(end: number): void {
    this.tsSeconds = 0;
    this.tsNanos = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      if (tag === 8) {
        this.varint64(end);
        // Exact below 2^53; beyond, far outside the range `toJson` accepts either way.
        this.tsSeconds = (this.hi | 0) * 4294967296 + (this.lo >>> 0);
      } else if (tag === 16) {
        this.tsNanos = this.varint32(end) | 0;
      } else if (tag >>> 3 === 0 || tag >>> 3 === 1 || tag >>> 3 === 2) {
        throw UNSUPPORTED; // a known field with another wire type
      } else {
        this.skip(tag & 7, end);
      }
    }
    if (this.p !== end) throw UNSUPPORTED;
  }
}
