import "server-only";

// A flow's key (its uuid, or a content key for flows from Cilium before 1.14) as the stores keep
// it: a uuid as its 16 bytes, any other key (far longer) as its UTF-8 between 0xff bytes.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function keyBytes(key: string): Buffer {
  if (UUID.test(key)) return Buffer.from(key.replace(/-/g, ""), "hex");
  return Buffer.concat([Buffer.from([0xff]), Buffer.from(key, "utf8"), Buffer.from([0xff])]);
}

export function keyFromBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 16) {
    const h = b.toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return b.subarray(1, b.length - 1).toString("utf8");
}
