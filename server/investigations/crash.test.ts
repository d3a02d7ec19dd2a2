import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { waitUntil } from "@/server/http/testing";
import { openInvestigationStore } from "./index";
import { SQLITE_FILE } from "./sqlite";
import type { InvestigationStore } from "./store";
import { crashFlowCount } from "./testing/crash-plan";
import { flowLines } from "./testing/fixtures";
import { startTestPostgres, type TestPostgres } from "./testing/postgres";

// A server killed mid-save loses nothing already saved and leaves no partial investigation: a child
// saves in a loop and is SIGKILLed at a random moment, several times; every id it reported must
// come back whole, and every investigation in the database must be complete.

const ROUNDS = 3;
const SAVE_LOOP = join(dirname(fileURLToPath(import.meta.url)), "testing", "save-loop.ts");

interface Reported {
  id: string;
  seed: number;
  count: number;
}

/** Runs the save loop until it has reported `saves` ids, then kills it after a random delay. */
async function saveThenKill(firstSeed: number, args: string[], saves: number): Promise<Reported[]> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", SAVE_LOOP, String(firstSeed), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HUBBLE_LENS_LOG_LEVEL: "error" },
  });
  const reported: Reported[] = [];
  let stderr = "";
  let buffered = "";
  let exited = false;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const [id, seed, count] = line.split(" ");
      if (seed !== undefined) reported.push({ id, seed: Number(seed), count: Number(count) });
    }
  });
  const exit = new Promise<void>((resolve) => child.on("exit", () => ((exited = true), resolve())));
  await waitUntil(() => reported.length >= saves || exited, `${saves} saves from the child`, 60_000);
  assert.ok(!exited, `save loop exited early: ${stderr}`);
  await new Promise((r) => setTimeout(r, Math.random() * 400));
  child.kill("SIGKILL");
  await exit;
  // Whatever was still in the pipe was reported before the kill.
  return reported;
}

async function assertAllIntact(store: InvestigationStore, reported: Reported[]): Promise<void> {
  for (const r of reported) {
    const inv = await store.get(r.id);
    assert.ok(inv, `reported investigation ${r.id} (seed ${r.seed}) is missing`);
    assert.equal(inv.title, `crash ${r.seed}`);
    assert.equal(inv.flowCount, r.count);
    assert.deepEqual(await store.flows(r.id), flowLines(r.seed, r.count), `flows of seed ${r.seed}`);
  }
  // Every investigation present is whole, reported or not (the last save may commit just before the kill).
  const all = await store.list(500);
  assert.ok(all.length >= reported.length);
  for (const s of all) {
    const seed = Number(s.title.replace("crash ", ""));
    assert.equal(s.flowCount, crashFlowCount(seed), `flow count of ${s.title}`);
    assert.equal((await store.flows(s.id))?.length, s.flowCount, `stored flows of ${s.title}`);
  }
}

describe("a save killed midway", () => {
  const temps: string[] = [];
  let postgres: TestPostgres | undefined;
  after(async () => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
    await postgres?.stop();
  });

  it("loses nothing already saved in SQLite, leaves no partial row, and the file passes integrity_check", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-crash-"));
    temps.push(dataDir);
    const reported: Reported[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      reported.push(...(await saveThenKill(round * 1_000, ["sqlite", dataDir], 2 + round)));
    }
    const db = new Database(join(dataDir, SQLITE_FILE));
    try {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal(db.prepare("SELECT count(*) FROM investigation_flows WHERE investigation_id NOT IN (SELECT id FROM investigations)").pluck().get(), 0);
    } finally {
      db.close();
    }
    const store = await openInvestigationStore({ dataDir, databaseUrl: null });
    try {
      await assertAllIntact(store, reported);
    } finally {
      await store.close();
    }
  });

  it("loses nothing already saved in PostgreSQL and leaves no partial row", async () => {
    postgres = await startTestPostgres();
    const url = await postgres.createDatabase();
    const reported: Reported[] = [];
    for (let round = 0; round < 2; round++) {
      reported.push(...(await saveThenKill(round * 1_000, ["postgres", url], 2 + round)));
    }
    const store = await openInvestigationStore({ dataDir: "unused", databaseUrl: url });
    try {
      await assertAllIntact(store, reported);
    } finally {
      await store.close();
    }
  });
});
