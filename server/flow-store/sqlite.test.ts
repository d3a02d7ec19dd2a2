import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { keyBytes, keyFromBytes } from "./keys";
import { openSqliteFlowStore } from "./sqlite";
import { flowStoreContract } from "./testing/contract";

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

  it("keeps a uuid in 16 bytes, and other keys apart from any uuid", () => {
    assert.equal(keyBytes("9cdcff3c-1976-4f97-91d8-c2ae54703291").length, 16);
    assert.ok(keyBytes("c|123|node|10.0.0.1").length > 16);
    for (const key of ["9cdcff3c-1976-4f97-91d8-c2ae54703291", "c|123|node|10.0.0.1"]) assert.equal(keyFromBytes(keyBytes(key)), key);
  });
});
