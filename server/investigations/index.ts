import "server-only";
import type { StoreSettings } from "@/server/config/env";
import { openPostgresStore, type PostgresOptions } from "./postgres";
import { openSqliteStore } from "./sqlite";
import type { InvestigationStore } from "./store";

// Shared investigations: frozen snapshots (flows, selected drop, policies, view, title, note) behind
// an unguessable id. See README.md.

export type { Investigation, InvestigationStore, InvestigationSummary, NewInvestigation } from "./store";
export { InvestigationInputError, MAX_FLOWS, MAX_NOTE, MAX_TITLE, MAX_VIEW_BYTES } from "./store";
export { isInvestigationId } from "./ids";

/**
 * PostgreSQL when DATABASE_URL is set, else SQLite in HUBBLE_LENS_DATA_DIR. Runs the schema
 * migrations; throws an error naming the variable to fix when the database cannot be used.
 */
export async function openInvestigationStore(settings: StoreSettings, options: PostgresOptions = {}): Promise<InvestigationStore> {
  if (settings.databaseUrl !== null) return openPostgresStore(settings.databaseUrl, options);
  return openSqliteStore(settings.dataDir);
}
