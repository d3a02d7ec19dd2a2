import "server-only";

import { promisify } from "node:util";
import { isMainThread } from "node:worker_threads";
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from "node:zlib";
import type { StoredFlow } from "./store";

// A block: the flows of one write, one after the other, compressed together. Flows of one cluster
// repeat the same labels, names and addresses, so a block of a few hundred flows deflates to
// ~7-15 % of its size where one flow alone barely reaches 50 % (docs/benchmarks.md). On the
// server's thread, compression runs on libuv's thread pool (zlib's async API), off the event loop;
// on a thread of its own (the recorder's) it runs on that thread, which is there to do such work and
// runs at a lower priority than the server's (recorder-thread.ts): on the pool it would compete with
// the live view at full priority.
//
// Layout, per flow: time (8 bytes, signed big-endian ns), then node, key and flow, each as a
// varint length and the bytes.

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);
const text = new TextDecoder();

/** Level 1: three times faster than the default for ~10 % more bytes (measured on demo flows). */
const LEVEL = 1;
/**
 * zlib's output buffer: a block of 1,024 demo flows (~1.3 MB) deflates to ~115 KB, which zlib's
 * default 16 KB hands back in 8 round trips between the thread pool and the event loop.
 */
const CHUNK = 256 * 1024;

export async function encodeBlock(flows: readonly StoredFlow[]): Promise<Buffer> {
  // One buffer, written in place: at most 3 bytes per UTF-16 unit of text, 5 per length.
  let bound = 0;
  for (const f of flows) bound += 8 + 5 + 3 * f.node.length + 5 + 3 * f.key.length + 5 + f.flow.length;
  const raw = Buffer.allocUnsafe(bound);
  let at = 0;
  for (const f of flows) {
    raw.writeBigInt64BE(f.timeNs, at);
    at = writeText(raw, at + 8, f.node);
    at = writeText(raw, at, f.key);
    at = writeVarint(raw, at, f.flow.length);
    raw.set(f.flow, at);
    at += f.flow.length;
  }
  const options = { level: LEVEL, chunkSize: CHUNK };
  return isMainThread ? deflate(raw.subarray(0, at), options) : deflateRawSync(raw.subarray(0, at), options);
}

/** A text's UTF-8 after its length (lone surrogates as U+FFFD, as TextEncoder writes them). */
function writeText(buf: Buffer, at: number, value: string): number {
  // Up to 42 UTF-16 units are at most 126 bytes: a one-byte length, written once the text is.
  if (value.length <= 42) {
    const n = buf.write(value, at + 1);
    buf[at] = n;
    return at + 1 + n;
  }
  at = writeVarint(buf, at, Buffer.byteLength(value));
  return at + buf.write(value, at);
}

export async function decodeBlock(bytes: Uint8Array): Promise<StoredFlow[]> {
  return parseBlock(await inflate(bytes));
}

/** Synchronous, for one small lookup. */
export function decodeBlockSync(bytes: Uint8Array): StoredFlow[] {
  return parseBlock(inflateRawSync(bytes));
}

function parseBlock(raw: Buffer): StoredFlow[] {
  const out: StoredFlow[] = [];
  let at = 0;
  const field = (): Uint8Array => {
    const [len, next] = readVarint(raw, at);
    at = next + len;
    if (at > raw.length) throw new Error("flow block: truncated");
    return raw.subarray(next, at);
  };
  while (at < raw.length) {
    if (at + 8 > raw.length) throw new Error("flow block: truncated");
    const timeNs = raw.readBigInt64BE(at);
    at += 8;
    const node = text.decode(field());
    const key = text.decode(field());
    const flow = field();
    out.push({ timeNs, node, key, flow });
  }
  return out;
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value;
  return at;
}

function readVarint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= buf.length || shift > 28) throw new Error("flow block: bad length");
    const b = buf[at++];
    value |= (b & 0x7f) << shift;
    if (b < 0x80) return [value >>> 0, at];
    shift += 7;
  }
}
