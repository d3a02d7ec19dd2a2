import "server-only";
import { accessSync, constants, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { log } from "@/server/log";
import { decodeFlowChunks, FLOWS_FORMAT } from "./codec";
import { isInvestigationId } from "./ids";
import { migrationSql, pendingMigrations, SCHEMA_MIGRATIONS_DDL } from "./migrations";
import { INVESTIGATION_COLUMNS, investigationFromRow, prepareSave, SUMMARY_COLUMNS, summaryFromRow, type InvestigationRow, type SummaryRow } from "./rows";
import { clampListLimit, type Investigation, type InvestigationStore, type InvestigationSummary, type ListViewer, type NewInvestigation } from "./store";

// The embedded store: one SQLite file in HUBBLE_LENS_DATA_DIR, for a single replica.
//
// Durability: WAL journal with synchronous=FULL, and each save is one transaction (the row and all
// its flow chunks), so a process killed mid-save leaves the previous saves intact and no partial
// investigation. Compression happens before the transaction, so the write lock is held for
// milliseconds. better-sqlite3 is synchronous; the calls are short enough not to matter.

export const SQLITE_FILE = "investigations.sqlite";

export async function openSqliteStore(dataDir: string): Promise<InvestigationStore> {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new Error(
      `HUBBLE_LENS_DATA_DIR: cannot use ${dir} for the investigation database (${describe(err)}); ` +
        "set HUBBLE_LENS_DATA_DIR to a writable directory, or DATABASE_URL to use PostgreSQL",
    );
  }
  const file = join(dir, SQLITE_FILE);
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    // Another process on the same file (an old replica still shutting down) waits instead of failing.
    db.pragma("busy_timeout = 5000");
    migrate(db, file);
  } catch (err) {
    throw new Error(`HUBBLE_LENS_DATA_DIR: cannot open the investigation database ${file}: ${describe(err)}`);
  }
  log.info(`investigations: SQLite database ${file}`);
  return new SqliteInvestigationStore(db);
}

function migrate(db: Database.Database, file: string): void {
  db.exec(SCHEMA_MIGRATIONS_DDL);
  // IMMEDIATE takes the write lock before reading the applied versions: two processes opening the
  // same file cannot both apply a migration.
  db.transaction(() => {
    const applied = new Set(db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[]);
    for (const m of pendingMigrations(applied, file)) {
      db.exec(migrationSql(m, "sqlite"));
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
      log.info(`investigations: applied migration ${m.version} (${m.name})`);
    }
  }).immediate();
}

class SqliteInvestigationStore implements InvestigationStore {
  readonly kind = "sqlite" as const;
  private readonly insertInvestigation: Database.Statement;
  private readonly insertChunk: Database.Statement;
  private readonly selectOne: Database.Statement<[string], InvestigationRow>;
  private readonly selectExists: Database.Statement<[string], number>;
  private readonly selectChunks: Database.Statement<[string], { data: Buffer }>;
  private readonly selectList: Database.Statement<[number], SummaryRow>;
  private readonly insertShare: Database.Statement;
  private readonly selectShares: Database.Statement<[string], string>;
  private readonly deleteOne: Database.Statement<[string]>;
  private readonly selectExpired: Database.Statement<[string], string>;
  private closed = false;

  constructor(private readonly db: Database.Database) {
    this.insertInvestigation = db.prepare(
      `INSERT INTO investigations (id, title, note, view, selected_flow, created_at, flow_count, policies, owner, flow_namespaces, flow_source, flow_reference)
       VALUES (@id, @title, @note, @view, @selectedFlow, @createdAt, @flowCount, @policies, @owner, @flowNamespaces, @flowSource, @flowReference)`,
    );
    this.insertShare = db.prepare("INSERT INTO investigation_shares (investigation_id, group_name) VALUES (?, ?)");
    this.selectShares = db.prepare<[string], string>("SELECT group_name FROM investigation_shares WHERE investigation_id = ? ORDER BY group_name").pluck();
    this.deleteOne = db.prepare<[string]>("DELETE FROM investigations WHERE id = ?");
    this.selectExpired = db.prepare<[string], string>("SELECT id FROM investigations WHERE created_at < ?").pluck();
    this.insertChunk = db.prepare("INSERT INTO investigation_flows (investigation_id, chunk, format, data) VALUES (?, ?, ?, ?)");
    this.selectOne = db.prepare(`SELECT ${INVESTIGATION_COLUMNS} FROM investigations WHERE id = ?`);
    this.selectExists = db.prepare<[string], number>("SELECT 1 FROM investigations WHERE id = ?").pluck();
    this.selectChunks = db.prepare("SELECT data FROM investigation_flows WHERE investigation_id = ? ORDER BY chunk");
    this.selectList = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM investigations ORDER BY created_at DESC, seq DESC LIMIT ?`);
  }

  async save(input: NewInvestigation): Promise<Investigation> {
    const { saved, chunks, policies, flowNamespaces, flowSource, flowReference } = await prepareSave(input);
    this.db
      .transaction(() => {
        this.insertInvestigation.run({ ...saved, policies, flowNamespaces, flowSource, flowReference, sharedWith: undefined, reference: undefined });
        for (const group of saved.sharedWith) this.insertShare.run(saved.id, group);
        chunks.forEach((data, i) => this.insertChunk.run(saved.id, i, FLOWS_FORMAT, data));
      })
      .immediate();
    // Read back through JSON so the caller sees exactly what get() will return.
    return { ...saved, policies: JSON.parse(policies) as Investigation["policies"] };
  }

  async get(id: string): Promise<Investigation | undefined> {
    if (!isInvestigationId(id)) return undefined;
    const row = this.selectOne.get(id);
    return row === undefined ? undefined : investigationFromRow(row, this.selectShares.all(id));
  }

  async flows(id: string): Promise<string[] | undefined> {
    if (!isInvestigationId(id)) return undefined;
    // One read transaction: the row and its chunks come from the same snapshot.
    const found = this.db.transaction(() => {
      if (this.selectExists.get(id) === undefined) return undefined;
      return this.selectChunks.all(id).map((r) => r.data);
    })();
    return found === undefined ? undefined : decodeFlowChunks(found);
  }

  async list(limit?: number, viewer?: ListViewer): Promise<InvestigationSummary[]> {
    if (viewer === undefined) return this.selectList.all(clampListLimit(limit)).map(summaryFromRow);
    const groups = viewer.groups.slice(0, 500);
    const inGroups = groups.length === 0 ? "" : ` OR id IN (SELECT investigation_id FROM investigation_shares WHERE group_name IN (${groups.map(() => "?").join(", ")}))`;
    return this.db
      .prepare<unknown[], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM investigations WHERE owner = ?${inGroups} ORDER BY created_at DESC, seq DESC LIMIT ?`)
      .all(viewer.user, ...groups, clampListLimit(limit))
      .map(summaryFromRow);
  }

  async delete(id: string): Promise<boolean> {
    if (!isInvestigationId(id)) return false;
    // The flow chunks and shares go with it (ON DELETE CASCADE, foreign_keys=ON).
    return this.deleteOne.run(id).changes > 0;
  }

  async expire(before: Date): Promise<string[]> {
    return this.db
      .transaction(() => {
        const ids = this.selectExpired.all(before.toISOString());
        for (const id of ids) this.deleteOne.run(id);
        return ids;
      })
      .immediate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
