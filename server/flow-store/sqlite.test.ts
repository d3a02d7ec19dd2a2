import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { keyBytes, keyFromBytes } from "./keys";
import { openSqliteFlowStore } from "./sqlite";
import type { FlowRecord } from "./store";
import { flowStoreContract } from "./testing/contract";
import { record, T0_NS } from "./testing/fixtures";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-flows-"));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

flowStoreContract("sqlite", async () => {
  const root = tempDir();
  return {
    open: async (name) => openSqliteFlowStore(join(root, name)),
    reopen: async (name) => openSqliteFlowStore(join(root, name)),
    cleanup: async () => {},
  };
});

describe("SQLite flow store", () => {
  it("creates a missing data directory, nested", async () => {
    const store = openSqliteFlowStore(join(tempDir(), "a", "b"));
    assert.equal(await store.newestTimeNs(), null);
    await store.close();
  });

  it("names the variable to fix when the directory cannot be used", () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    assert.throws(() => openSqliteFlowStore(join(file, "data")), /HUBBLE_LENS_DATA_DIR: cannot use/);
  });

  it("finds every flow at its own place and knows every key, whatever a write's size (keys go in 64 to a statement)", async () => {
    const store = openSqliteFlowStore(tempDir());
    // Writes of sizes around the statement's 64 rows and the block's 1,024 flows; one flow in
    // three rolled up (its key kept apart), one in five with a content key instead of a uuid.
    const sizes = [1, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 2049];
    let n = 0;
    const batches: FlowRecord[][] = sizes.map((size) =>
      Array.from({ length: size }, () => {
        n++;
        const spec = { atNs: BigInt(n) * 1_000_000n, srcApp: `app-${n % 7}`, ...(n % 5 === 0 ? { uuid: `c|${n}|node-a|10.0.0.1` } : {}) };
        return n % 3 === 0 ? record({ ...spec, verdict: "FORWARDED" }, "rollup") : record({ ...spec, verdict: "DROPPED" }, "rollup");
      }),
    );
    for (const batch of batches) assert.deepEqual(await store.write(batch), { written: batch.length, duplicates: 0 });
    const all = batches.flat();
    for (const f of all) {
      const found = await store.flowByKey(f.key);
      if (!f.keep) {
        assert.equal(found, undefined, f.key);
        continue;
      }
      assert.ok(found, f.key);
      assert.deepEqual({ ...found, flow: Buffer.from(found.flow) }, { key: f.key, timeNs: f.timeNs, node: f.node, flow: Buffer.from(f.flow) });
    }
    // Every key, kept or counted, is known: all of them again are all duplicates, counted nowhere.
    assert.deepEqual(await store.write(all), { written: 0, duplicates: all.length });
    const counts = await store.edgeCounts({ sinceMs: Number(T0_NS / 1_000_000n) - 60_000, untilMs: Number(T0_NS / 1_000_000n) + 3_600_000 });
    assert.equal(
      counts.reduce((sum, c) => sum + c.count, 0),
      all.length,
    );
    assert.equal((await store.usage()).flows, all.filter((f) => f.keep).length);
    await store.close();
  });

  it("keeps a uuid in 16 bytes, and other keys apart from any uuid", () => {
    assert.equal(keyBytes("9cdcff3c-1976-4f97-91d8-c2ae54703291").length, 16);
    assert.ok(keyBytes("c|123|node|10.0.0.1").length > 16);
    for (const key of ["9cdcff3c-1976-4f97-91d8-c2ae54703291", "c|123|node|10.0.0.1"]) assert.equal(keyFromBytes(keyBytes(key)), key);
  });
});
