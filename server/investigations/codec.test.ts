import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { CHUNK_FLOWS, decodeFlowChunks, encodeFlowChunks } from "./codec";

const line = (i: number) => JSON.stringify({ flow: { uuid: `u-${i}`, summary: i % 7 === 0 ? "ünïcødé ✓ 🚀" : "TCP Flags: SYN", n: i } });

describe("flow chunks", () => {
  for (const count of [0, 1, 249, 250, 251, CHUNK_FLOWS, CHUNK_FLOWS + 1, 2 * CHUNK_FLOWS + 333]) {
    it(`${count} lines come back as they went in, ${CHUNK_FLOWS} to a chunk`, async () => {
      const lines = Array.from({ length: count }, (_, i) => line(i));
      const chunks = await encodeFlowChunks(lines);
      assert.equal(chunks.length, Math.ceil(count / CHUNK_FLOWS));
      // Each chunk is plain gzip'd NDJSON (what rows written before hold too).
      if (count > 0) assert.deepEqual(gunzipSync(chunks[0]).toString("utf8").split("\n"), lines.slice(0, CHUNK_FLOWS));
      assert.deepEqual(await decodeFlowChunks(chunks), lines);
    });
  }

  it("refuses an empty line or one with a newline, naming it", async () => {
    await assert.rejects(encodeFlowChunks(["a", "b\nc"]), /flow line 2/);
    await assert.rejects(encodeFlowChunks(["a", ""]), /flow line 2/);
  });

  it("lets timers run while it works: 50,000 flows never hold the event loop for long (in one go: most of the time it takes)", async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => line(i).padEnd(1500, " "));
    let ticks = 0;
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 1);
    const t0 = performance.now();
    try {
      const chunks = await encodeFlowChunks(lines);
      assert.equal((await decodeFlowChunks(chunks)).length, 50_000);
    } finally {
      clearInterval(timer);
    }
    const total = performance.now() - t0;
    // Relative to the whole, so a slow or busy machine does not fail it: done in one go, the
    // main thread's part (join, copy, split) was well over a third of the time.
    assert.ok(ticks > 10, `timers ran ${ticks} times`);
    assert.ok(longest < Math.max(200, total / 4), `longest wait between ticks ${Math.round(longest)} ms of ${Math.round(total)} ms`);
  });
});

describe("flow chunks that are not what was stored", () => {
  it("a corrupt chunk fails the read with an error, not an unhandled rejection", async () => {
    const chunks = await encodeFlowChunks(Array.from({ length: 3 * CHUNK_FLOWS }, (_, i) => line(i)));
    chunks[1] = Buffer.from("not gzip");
    await assert.rejects(decodeFlowChunks(chunks), /header|incorrect|invalid/i);
  });
});
