import "server-only";

// ClickHouse's RowBinary format, for the few column types the flow store uses. Flows are protobuf
// bytes and keys are 16 raw bytes: RowBinary carries them as they are (JSON formats would not),
// on every ClickHouse version the store supports (18.16 on).

export class RowBinaryWriter {
  private chunks: Buffer[] = [];
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, n));
    this.at = 0;
  }

  uint8(v: number): this {
    this.room(1);
    this.buf[this.at++] = v;
    return this;
  }

  uint32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v, this.at);
    this.at += 4;
    return this;
  }

  int32(v: number): this {
    this.room(4);
    this.buf.writeInt32LE(v, this.at);
    this.at += 4;
    return this;
  }

  int64(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64LE(v, this.at);
    this.at += 8;
    return this;
  }

  uint64(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(v, this.at);
    this.at += 8;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.room(10 + v.length);
    let n = v.length;
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.at++] = n;
    this.buf.set(v, this.at);
    this.at += v.length;
    return this;
  }

  string(v: string): this {
    return this.bytes(Buffer.from(v, "utf8"));
  }

  finish(): Buffer {
    this.chunks.push(this.buf.subarray(0, this.at));
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    this.at = 0;
    return out;
  }
}

/** Reads rows from a RowBinary byte stream as chunks arrive; `null` from a column reader: need more bytes. */
export class RowBinaryReader {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;

  push(chunk: Buffer): void {
    this.buf = this.at < this.buf.length ? Buffer.concat([this.buf.subarray(this.at), chunk]) : chunk;
    this.at = 0;
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  /** Reads one row with `read`, or returns undefined (and consumes nothing) if it is not all here yet. */
  row<T>(read: (r: RowCursor) => T): T | undefined {
    const cursor = new RowCursor(this.buf, this.at);
    try {
      const value = read(cursor);
      this.at = cursor.at;
      return value;
    } catch (err) {
      if (err === NEED_MORE) return undefined;
      throw err;
    }
  }
}

const NEED_MORE = new Error("row-binary: need more bytes");

export class RowCursor {
  constructor(
    private readonly buf: Buffer,
    public at: number,
  ) {}

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw NEED_MORE;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.at);
    this.at += 8;
    return v;
  }

  uint64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }

  bytes(): Buffer {
    let len = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.at++];
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 35) throw new Error("row-binary: bad length");
    }
    this.need(len);
    // A copy: the reader's buffer is reused.
    const v = Buffer.from(this.buf.subarray(this.at, this.at + len));
    this.at += len;
    return v;
  }

  string(): string {
    return this.bytes().toString("utf8");
  }
}
