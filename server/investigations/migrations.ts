import "server-only";

// The schema, as numbered migrations applied in order, each in its own transaction together with
// its row in schema_migrations, so a crash mid-migration leaves the previous version intact.
// Append only: never edit a migration that has shipped. Both backends run the same list; where
// their SQL differs (auto-increment, blob type) a migration gives one text per dialect.
//
// Column choices shared by both: created_at is RFC 3339 UTC text with milliseconds (fixed width,
// so it sorts as text, and reads back exactly as written); policies is the PolicySnapshot as JSON.

export type Dialect = "sqlite" | "postgres";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string | Readonly<Record<Dialect, string>>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "investigations and their flow chunks",
    sql: {
      sqlite: `
        CREATE TABLE investigations (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          title TEXT NOT NULL,
          note TEXT NOT NULL,
          view TEXT NOT NULL,
          selected_flow TEXT,
          created_at TEXT NOT NULL,
          flow_count INTEGER NOT NULL,
          policies TEXT NOT NULL
        );
        CREATE INDEX investigations_newest ON investigations (created_at DESC, seq DESC);
        CREATE TABLE investigation_flows (
          investigation_id TEXT NOT NULL REFERENCES investigations (id) ON DELETE CASCADE,
          chunk INTEGER NOT NULL,
          format TEXT NOT NULL,
          data BLOB NOT NULL,
          PRIMARY KEY (investigation_id, chunk)
        );`,
      postgres: `
        CREATE TABLE investigations (
          seq BIGSERIAL PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          title TEXT NOT NULL,
          note TEXT NOT NULL,
          view TEXT NOT NULL,
          selected_flow TEXT,
          created_at TEXT NOT NULL,
          flow_count INTEGER NOT NULL,
          policies TEXT NOT NULL
        );
        CREATE INDEX investigations_newest ON investigations (created_at DESC, seq DESC);
        CREATE TABLE investigation_flows (
          investigation_id TEXT NOT NULL REFERENCES investigations (id) ON DELETE CASCADE,
          chunk INTEGER NOT NULL,
          format TEXT NOT NULL,
          data BYTEA NOT NULL,
          PRIMARY KEY (investigation_id, chunk)
        );`,
    },
  },
  {
    version: 2,
    name: "owners, sharing with groups, the namespaces of the flows",
    // Investigations saved before sign-in existed belong to "anonymous" (the user without sign-in);
    // their flows' namespaces were not recorded (NULL: only those who see every namespace open them).
    sql: `
      ALTER TABLE investigations ADD COLUMN owner TEXT NOT NULL DEFAULT 'anonymous';
      ALTER TABLE investigations ADD COLUMN flow_namespaces TEXT;
      CREATE INDEX investigations_owner ON investigations (owner, created_at);
      CREATE TABLE investigation_shares (
        investigation_id TEXT NOT NULL REFERENCES investigations (id) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        PRIMARY KEY (investigation_id, group_name)
      );
      CREATE INDEX investigation_shares_group ON investigation_shares (group_name);`,
  },
  {
    version: 3,
    name: "flows copied or referred to in the flow history",
    // Every investigation saved before this copied its flows. A reference is JSON text (the
    // filters, the window as ns in decimal text, the count at save time); NULL for copies.
    sql: `
      ALTER TABLE investigations ADD COLUMN flow_source TEXT NOT NULL DEFAULT 'copy';
      ALTER TABLE investigations ADD COLUMN flow_reference TEXT;`,
  },
];

export const SCHEMA_MIGRATIONS_DDL = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`;

export function migrationSql(m: Migration, dialect: Dialect): string {
  return typeof m.sql === "string" ? m.sql : m.sql[dialect];
}

/** The migrations not yet applied, in order; refuses a database newer than this code. */
export function pendingMigrations(applied: ReadonlySet<number>, where: string): Migration[] {
  const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length > 0) {
    throw new Error(
      `${where} has schema version ${Math.max(...unknown)}, newer than this Hubble Lens knows (${newest}): ` + "run the newer release, or point it at another database",
    );
  }
  return MIGRATIONS.filter((m) => !applied.has(m.version));
}
