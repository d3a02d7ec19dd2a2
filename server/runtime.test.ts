import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadServerConfig } from "@/server/config/env";
import { openInvestigationStore } from "@/server/investigations";
import { SQLITE_FILE } from "@/server/investigations/sqlite";
import { newInvestigation } from "@/server/investigations/testing/fixtures";
import { waitUntil } from "@/lib/testing/wait";
import { createRuntime } from "./runtime";

// What `npm start` does with a bad configuration: refuse to start, say what to fix, exit non-zero.
function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "-e", 'require("@/server/runtime").startRuntimeOrExit().then(() => process.exit(0))'], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("start-up with a bad configuration", () => {
  it("a bad value is refused with the variable and how to fix it, exit 2", () => {
    const r = start({ HUBBLE_TLS: "maybe" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /HUBBLE_TLS: must be true or false \(got "maybe"\)/);
  });

  it("a demo scenario that does not exist stops the start, exit 1", () => {
    const r = start({ HUBBLE_LENS_DEMO_SCENARIO: "no-such-scenario" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-such-scenario/);
  });
});

describe("start-up refuses to serve without sign-in beyond loopback", () => {
  it("HUBBLE_LENS_HOST=0.0.0.0 without HUBBLE_LENS_AUTH stops the start, saying what to set, exit 2", () => {
    const r = start({ HUBBLE_LENS_HOST: "0.0.0.0" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /HUBBLE_LENS_AUTH: .*set HUBBLE_LENS_AUTH=oidc or proxy, or HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true/);
  });
});

describe("investigation retention", () => {
  it("deletes investigations older than HUBBLE_LENS_INVESTIGATION_RETENTION at start, with an audit line", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-retention-"));
    try {
      const store = await openInvestigationStore({ dataDir, databaseUrl: null });
      const kept = await store.save(newInvestigation({ title: "fresh" }));
      const old = await store.save(newInvestigation({ title: "old" }));
      await store.close();
      const db = new Database(join(dataDir, SQLITE_FILE));
      db.prepare("UPDATE investigations SET created_at = ? WHERE id = ?").run(new Date(Date.now() - 3 * 3_600_000).toISOString(), old.id);
      db.close();

      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stderr.write;
      const runtime = await createRuntime(loadServerConfig({ HUBBLE_LENS_DATA_DIR: dataDir, HUBBLE_LENS_INVESTIGATION_RETENTION: "2h", HUBBLE_LENS_POLICY_SOURCE: "none" }));
      try {
        await waitUntil(async () => (await runtime.investigations.get(old.id)) === undefined, "the old investigation to expire", 10_000, 50);
        assert.equal((await runtime.investigations.get(kept.id))?.title, "fresh");
        assert.ok(lines.some((l) => l.includes("AUDIT hubble-lens: investigation expired") && l.includes(old.id)));
      } finally {
        process.stderr.write = write;
        await runtime.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
