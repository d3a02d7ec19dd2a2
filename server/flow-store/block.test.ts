import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateRawSync } from "node:zlib";
import { decodeBlock, decodeBlockSync, encodeBlock } from "./block";
import type { StoredFlow } from "./store";

// The layout a block has always had (time, then node, key and flow each after a varint length),
// written the plain way: what encodeBlock writes in place must be exactly this.
function referenceLayout(flows: readonly StoredFlow[]): Buffer {
  const utf8 = new TextEncoder();
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const parts: Uint8Array[] = [];
  for (const f of flows) {
    const time = Buffer.alloc(8);
    time.writeBigInt64BE(f.timeNs);
    const node = utf8.encode(f.node);
    const key = utf8.encode(f.key);
    parts.push(time, varint(node.length), node, varint(key.length), key, varint(f.flow.length), f.flow);
  }
  return Buffer.concat(parts);
}

describe("flow blocks", () => {
  it("lay flows out as they always were, whatever the length and characters of node and key", async () => {
    const texts = [
      "",
      "a",
      "n".repeat(42),
      "n".repeat(43),
      "é".repeat(42),
      "€".repeat(43),
      "😀".repeat(21),
      "😀".repeat(22),
      "x".repeat(200),
      "\ud800 lone",
      "9cdcff3c-1976-4f97-91d8-c2ae54703291",
    ];
    const flows: StoredFlow[] = [];
    texts.forEach((node, i) =>
      texts.forEach((key, j) => {
        const flow = new Uint8Array(((i * 37 + j * 101) % 300) + (j % 3 === 0 ? 20_000 : 0)).map((_, k) => (k * 7 + i) & 0xff);
        flows.push({ timeNs: BigInt(i * 1000 + j) * 1_000_000_007n - 5n, node, key, flow });
      }),
    );
    assert.deepEqual(inflateRawSync(await encodeBlock(flows)), referenceLayout(flows));
  });

  it("read back as written", async () => {
    const flows: StoredFlow[] = Array.from({ length: 1024 }, (_, i) => ({
      timeNs: 1_700_000_000_000_000_000n + BigInt(i),
      node: `node-${i % 3}`,
      key: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      flow: new Uint8Array(1200).fill(i & 0xff),
    }));
    const data = await encodeBlock(flows);
    const expected = flows.map((f) => ({ ...f, flow: Buffer.from(f.flow) }));
    const back = (got: StoredFlow[]) => got.map((f) => ({ ...f, flow: Buffer.from(f.flow) }));
    assert.deepEqual(back(await decodeBlock(data)), expected);
    assert.deepEqual(back(decodeBlockSync(data)), expected);
  });
});
