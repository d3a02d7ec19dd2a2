import "server-only";
import pg from "pg";
import { log } from "@/server/log";
import { decodeFlowChunks, FLOWS_FORMAT } from "./codec";
import { isInvestigationId } from "./ids";
import { migrationSql, pendingMigrations, SCHEMA_MIGRATIONS_DDL } from "./migrations";
import { INVESTIGATION_COLUMNS, investigationFromRow, prepareSave, SUMMARY_COLUMNS, summaryFromRow, type InvestigationRow, type SummaryRow } from "./rows";
import { clampListLimit, type Investigation, type InvestigationStore, type InvestigationSummary, type ListViewer, type NewInvestigation } from "./store";

// The shared store: PostgreSQL (DATABASE_URL), so several replicas behind a load balancer see the
// same investigations.
//
// Start: the database may come up after us (compose, a pod next to its database), so the first
// connection is retried with backoff for `connectTimeoutMs` (30 s by default); after that the
// start fails with an error naming DATABASE_URL (password redacted) and the process exits, which
// lets the orchestrator restart it. Migrations run under a transaction-scoped advisory lock, so
// replicas starting together apply each migration exactly once.

/** pg_advisory_xact_lock key for migrations: "hubblelens" folded into a bigint; any constant works. */
const MIGRATION_LOCK_KEY = "7526938170213549101";

export interface PostgresOptions {
  /** How long to keep retrying the first connection at start. */
  connectTimeoutMs?: number;
  /** Pool size per replica. */
  maxConnections?: number;
}

export async function openPostgresStore(databaseUrl: string, options: PostgresOptions = {}): Promise<InvestigationStore> {
  const where = redactUrl(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", (err) => log.warn(`investigations: PostgreSQL connection lost: ${err.message}`, { database: where }));
  try {
    await connectWithRetry(pool, where, options.connectTimeoutMs ?? 30_000);
    await migrate(pool, where);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  log.info(`investigations: PostgreSQL ${where}`);
  return new PostgresInvestigationStore(pool);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

async function connectWithRetry(pool: pg.Pool, where: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await pool.connect();
      client.release();
      return;
    } catch (err) {
      const message = describe(err);
      if (Date.now() >= deadline || !retryable(err)) {
        throw new Error(`DATABASE_URL: cannot connect to PostgreSQL at ${where}: ${message}`);
      }
      const delay = Math.min(5_000, 250 * 2 ** Math.min(attempt - 1, 5), Math.max(0, deadline - Date.now()));
      log.warn(`investigations: PostgreSQL not reachable yet, retrying in ${delay} ms: ${message}`, { database: where, attempt });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Refused/unreachable/starting up is worth waiting for; a wrong password or database is not. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // 28xxx: authentication, 3D000: no such database, 42501: no privilege.
  if (typeof code === "string" && (code.startsWith("28") || code === "3D000" || code === "42501")) return false;
  return true;
}

async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
    await client.query(SCHEMA_MIGRATIONS_DDL);
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    for (const m of pendingMigrations(new Set(rows.map((r) => r.version)), where)) {
      await client.query(migrationSql(m, "postgres"));
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, new Date().toISOString()]);
      log.info(`investigations: applied migration ${m.version} (${m.name})`);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw new Error(`DATABASE_URL: schema migration failed on ${where}: ${describe(err)}`);
  } finally {
    client.release();
  }
}

class PostgresInvestigationStore implements InvestigationStore {
  readonly kind = "postgres" as const;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async save(input: NewInvestigation): Promise<Investigation> {
    const { saved, chunks, policies, flowNamespaces, flowSource, flowReference } = await prepareSave(input);
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO investigations (id, title, note, view, selected_flow, created_at, flow_count, policies, owner, flow_namespaces, flow_source, flow_reference)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [saved.id, saved.title, saved.note, saved.view, saved.selectedFlow, saved.createdAt, saved.flowCount, policies, saved.owner, flowNamespaces, flowSource, flowReference],
      );
      for (const group of saved.sharedWith) {
        await client.query("INSERT INTO investigation_shares (investigation_id, group_name) VALUES ($1, $2)", [saved.id, group]);
      }
      for (const [i, data] of chunks.entries()) {
        await client.query("INSERT INTO investigation_flows (investigation_id, chunk, format, data) VALUES ($1, $2, $3, $4)", [saved.id, i, FLOWS_FORMAT, data]);
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return { ...saved, policies: JSON.parse(policies) as Investigation["policies"] };
  }

  async get(id: string): Promise<Investigation | undefined> {
    if (!isInvestigationId(id)) return undefined;
    const { rows } = await this.pool.query<InvestigationRow & { shared_with: string[] | null }>(
      `SELECT ${INVESTIGATION_COLUMNS},
         ARRAY(SELECT group_name FROM investigation_shares s WHERE s.investigation_id = investigations.id ORDER BY group_name) AS shared_with
       FROM investigations WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? undefined : investigationFromRow(rows[0], rows[0].shared_with ?? []);
  }

  async flows(id: string): Promise<string[] | undefined> {
    if (!isInvestigationId(id)) return undefined;
    // The chunks are written in the investigation's own transaction, so a committed investigation
    // always has all of them; one statement reads both from the same snapshot.
    const { rows } = await this.pool.query<{ data: Buffer | null }>(
      `SELECT f.data FROM investigations i LEFT JOIN investigation_flows f ON f.investigation_id = i.id
       WHERE i.id = $1 ORDER BY f.chunk`,
      [id],
    );
    if (rows.length === 0) return undefined;
    return decodeFlowChunks(rows.flatMap((r) => (r.data === null ? [] : [r.data])));
  }

  async list(limit?: number, viewer?: ListViewer): Promise<InvestigationSummary[]> {
    if (viewer === undefined) {
      const { rows } = await this.pool.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM investigations ORDER BY created_at DESC, seq DESC LIMIT $1`, [clampListLimit(limit)]);
      return rows.map(summaryFromRow);
    }
    const { rows } = await this.pool.query<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM investigations
       WHERE owner = $1 OR id IN (SELECT investigation_id FROM investigation_shares WHERE group_name = ANY($2::text[]))
       ORDER BY created_at DESC, seq DESC LIMIT $3`,
      [viewer.user, viewer.groups.slice(0, 500), clampListLimit(limit)],
    );
    return rows.map(summaryFromRow);
  }

  async delete(id: string): Promise<boolean> {
    if (!isInvestigationId(id)) return false;
    // The flow chunks and shares go with it (ON DELETE CASCADE).
    const { rowCount } = await this.pool.query("DELETE FROM investigations WHERE id = $1", [id]);
    return (rowCount ?? 0) > 0;
  }

  async expire(before: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>("DELETE FROM investigations WHERE created_at < $1 RETURNING id", [before.toISOString()]);
    return rows.map((r) => r.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join("; ");
  return err instanceof Error ? err.message || err.name : String(err);
}
