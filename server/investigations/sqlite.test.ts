import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { openInvestigationStore } from "./index";
import { SQLITE_FILE } from "./sqlite";
import { MIGRATIONS, migrationSql, SCHEMA_MIGRATIONS_DDL } from "./migrations";
import { investigationStoreContract } from "./testing/contract";
import { flowLines, newInvestigation } from "./testing/fixtures";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-sqlite-"));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

investigationStoreContract("sqlite", async () => {
  const dataDir = join(tempDir(), "data");
  return {
    open: () => openInvestigationStore({ dataDir, databaseUrl: null }),
    async appliedMigrations() {
      const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      try {
        return db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all() as number[];
      } finally {
        db.close();
      }
    },
    async emptyDatabase() {
      const dir = tempDir();
      return {
        async exec(sql: string, params: unknown[] = []) {
          const db = new Database(join(dir, SQLITE_FILE));
          try {
            if (params.length === 0) db.exec(sql);
            else db.prepare(sql).run(...params);
          } finally {
            db.close();
          }
        },
        open: () => openInvestigationStore({ dataDir: dir, databaseUrl: null }),
      };
    },
    cleanup: async () => {},
  };
});

describe("SQLite investigation store", () => {
  it("creates a missing data directory, nested, and uses WAL", async () => {
    const dataDir = join(tempDir(), "a", "b", "c");
    const store = await openInvestigationStore({ dataDir, databaseUrl: null });
    await store.save(newInvestigation());
    await store.close();
    const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  });

  it("names HUBBLE_LENS_DATA_DIR when the directory cannot be used", async () => {
    // A path through a regular file fails even for root, who may write anywhere.
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "x");
    await assert.rejects(openInvestigationStore({ dataDir: join(file, "data"), databaseUrl: null }), (err: Error) => {
      assert.match(err.message, /^HUBBLE_LENS_DATA_DIR: cannot use .*not-a-dir\/data/);
      return true;
    });
  });

  it("writes an investigation and all its flow chunks in one transaction", async () => {
    const dataDir = tempDir();
    const store = await openInvestigationStore({ dataDir, databaseUrl: null });
    // The second chunk's insert fails after the row and the first chunk went in.
    const db = new Database(join(dataDir, SQLITE_FILE));
    db.exec("CREATE TRIGGER fail_second_chunk BEFORE INSERT ON investigation_flows WHEN NEW.chunk = 1 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    db.close();
    await assert.rejects(store.save(newInvestigation({ title: "half", flows: flowLines(1, 6_000) })), /disk on fire/);
    assert.deepEqual(await store.list(), []);
    const check = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
    assert.equal(check.prepare("SELECT count(*) FROM investigation_flows").pluck().get(), 0);
    check.close();
    await store.close();
  });

  it("migrates a database from before sign-in: its investigations belong to anonymous, their namespaces unknown", async () => {
    const dataDir = tempDir();
    const db = new Database(join(dataDir, SQLITE_FILE));
    db.exec(SCHEMA_MIGRATIONS_DDL);
    db.exec(migrationSql(MIGRATIONS[0]!, "sqlite"));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'v1', '')").run();
    db.prepare(
      "INSERT INTO investigations (id, title, note, view, selected_flow, created_at, flow_count, policies) VALUES ('AAAAAAAAAAAAAAAAAAAAAA', 'old', '', '', NULL, '2026-01-01T00:00:00.000Z', 0, '{}')",
    ).run();
    db.close();
    const store = await openInvestigationStore({ dataDir, databaseUrl: null });
    try {
      const old = await store.get("AAAAAAAAAAAAAAAAAAAAAA");
      assert.equal(old?.owner, "anonymous");
      assert.equal(old?.flowNamespaces, null);
      assert.deepEqual(old?.sharedWith, []);
      assert.deepEqual(
        (await store.list(10, { user: "anonymous", groups: [] })).map((s) => s.id),
        ["AAAAAAAAAAAAAAAAAAAAAA"],
      );
    } finally {
      await store.close();
    }
  });

  it("refuses a database whose schema is newer than this code", async () => {
    const dataDir = tempDir();
    await (await openInvestigationStore({ dataDir, databaseUrl: null })).close();
    const db = new Database(join(dataDir, SQLITE_FILE));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '')").run();
    db.close();
    await assert.rejects(openInvestigationStore({ dataDir, databaseUrl: null }), /schema version 99, newer than this Hubble Lens knows/);
  });
});
