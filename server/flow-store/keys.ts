import "server-only";

// A flow's key (its uuid, or a content key for flows from Cilium before 1.14) as the stores keep
// it: a uuid as its 16 bytes, any other key (far longer) as its UTF-8 between 0xff bytes.

/** A key as stored. Every flow's key goes through here once a write: a uuid is read by hand (no pattern, no hex string). */
export function keyBytes(key: string): Buffer {
  return uuidBytes(key) ?? Buffer.concat([Buffer.from([0xff]), Buffer.from(key, "utf8"), Buffer.from([0xff])]);
}

/** The 16 bytes of a uuid in its 8-4-4-4-12 hex form (either case); undefined for anything else. */
function uuidBytes(key: string): Buffer | undefined {
  if (key.length !== 36) return undefined;
  const out = Buffer.allocUnsafe(16);
  let o = 0;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (key.charCodeAt(i) !== 0x2d) return undefined;
      i++;
      continue;
    }
    const hi = hexDigit(key.charCodeAt(i));
    const lo = hexDigit(key.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[o++] = hi * 16 + lo;
    i += 2;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

export function keyFromBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 16) {
    const h = b.toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return b.subarray(1, b.length - 1).toString("utf8");
}
