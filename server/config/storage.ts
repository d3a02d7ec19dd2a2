import "server-only";
import { z } from "zod";
import { parseFlowQueryParams, toHubbleFilters } from "@/lib/filter-model";
import { compileFlowFilters } from "@/lib/filters";
import { parseGoDuration } from "@/lib/time";
import type { FlowFilter } from "@/proto/gen/flow/flow_pb";
import { pathValue, quote } from "./values";
import { variable, type ParsedValues } from "./variable";

// What is kept and where: investigations (SQLite or PostgreSQL) and the flow history (SQLite or
// ClickHouse), with their filters, retention and size.

const DATABASE_URL = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !["postgres:", "postgresql:"].includes(url.protocol)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a PostgreSQL connection URL such as postgres://user:password@db:5432/hubble_lens",
    });
    return z.NEVER;
  }
  return raw;
});

const HISTORY_MODE = z.enum(["record", "read", "off"], {
  error: (issue) => `must be record, read or off (got ${quote(String(issue.input))})`,
});

const HISTORY_KEEP = z.enum(["all", "rollup"], {
  error: (issue) => `must be all or rollup (got ${quote(String(issue.input))})`,
});

const HISTORY_FILTER = z.string().transform((raw, ctx): HistoryFilter => {
  const parsed = parseFlowQueryParams(new URLSearchParams(raw));
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: `${parsed.error.param}: ${parsed.error.message}; write the filter as the dashboard's URL does, e.g. namespace=shop&verdict=DROPPED` });
    return z.NEVER;
  }
  try {
    const filters = toHubbleFilters(parsed.query);
    compileFlowFilters(filters.whitelist, filters.blacklist);
    return { text: raw, whitelist: filters.whitelist, blacklist: filters.blacklist };
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

const HISTORY_RETENTION = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(raw);
  const ms = m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"] : NaN;
  if (!(ms >= 60_000 && ms <= 3650 * 86_400_000)) {
    ctx.addIssue({ code: "custom", message: `must be an age such as 30m, 12h or 7d, from 1m to 3650d (got ${quote(raw)})` });
    return z.NEVER;
  }
  return ms;
});

const BYTE_SIZE = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(raw);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  const bytes = m ? Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]) : NaN;
  if (!(bytes === 0 || bytes >= 2 ** 20) || !Number.isFinite(bytes)) {
    ctx.addIssue({ code: "custom", message: `must be a size such as 500MB or 20GiB (at least 1MiB), or 0 for no limit (got ${quote(raw)})` });
    return z.NEVER;
  }
  return bytes;
});

const CLICKHOUSE_URL = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  const db = url ? decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, "")) : "";
  if (url === null || !["http:", "https:"].includes(url.protocol) || (db !== "" && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(db))) {
    ctx.addIssue({
      code: "custom",
      message: "must be a ClickHouse HTTP URL such as http://user:password@clickhouse:8123/hubble_lens (the path names the database: letters, digits and _)",
    });
    return z.NEVER;
  }
  return raw;
});

/** Go durations, plus whole days (`30d`): how long investigations are kept. */
const RETENTION = z.string().transform((raw, ctx) => {
  const days = /^(\d+)d$/.exec(raw);
  let ms: number | null = null;
  if (days) ms = Number(days[1]) * 86_400_000;
  else {
    try {
      ms = Number(parseGoDuration(raw)) / 1e6;
    } catch {
      ms = null;
    }
  }
  if (ms === null || !(ms >= 60_000)) {
    ctx.addIssue({ code: "custom", message: `must be a duration of at least 1m, in days (90d) or as Go writes it (2160h) (got ${quote(raw)})` });
    return z.NEVER;
  }
  return Math.round(ms);
});

/** The investigation store and the flow history. */
export const STORAGE_VARIABLES = {
  HUBBLE_LENS_DATA_DIR: variable({
    default: "data",
    description:
      "Directory of the embedded SQLite database that stores shared investigations (created if missing; " +
      "relative to the working directory). Not used when DATABASE_URL is set.",
    schema: pathValue,
  }),
  DATABASE_URL: variable({
    defaultText: "unset: SQLite in HUBBLE_LENS_DATA_DIR",
    description:
      "PostgreSQL URL (postgres://user:password@host:5432/db) for investigations, so several Hubble Lens " +
      "replicas behind a load balancer share them. Schema migrations run at start.",
    schema: DATABASE_URL,
  }),
  HUBBLE_LENS_HISTORY: variable({
    default: "record",
    description:
      "Flow history, kept past the relay's buffers: record (follow the relay and keep every flow, and read " +
      "history), read (read a history another replica records, on a shared ClickHouse) or off.",
    schema: HISTORY_MODE,
  }),
  HUBBLE_LENS_HISTORY_KEEP: variable({
    default: "all",
    description:
      "What the recorder keeps: all (every flow in full) or rollup (drops, audits, errors and L7 flows in full; " +
      "forwarded L3/L4 flows only as exact counts per minute and edge, for the map and the Drops view).",
    schema: HISTORY_KEEP,
  }),
  HUBBLE_LENS_HISTORY_FILTER: variable({
    defaultText: "every flow",
    description: "Record only the flows this filter admits, written as the dashboard's URL writes filters, e.g. " + "namespace=shop&verdict=DROPPED or filter=from-pod%3Dshop%2F.",
    schema: HISTORY_FILTER,
  }),
  HUBBLE_LENS_HISTORY_RETENTION: variable({
    default: "7d",
    description: "How long flow history is kept, e.g. 12h or 30d; older flows and counts are removed continuously.",
    schema: HISTORY_RETENTION,
  }),
  HUBBLE_LENS_HISTORY_MAX_SIZE: variable({
    default: "10GiB",
    description: "Most disk the flow history takes (SQLite: the file's pages in use; ClickHouse: its compressed parts); " + "beyond, the oldest goes first. 0: no limit.",
    schema: BYTE_SIZE,
  }),
  HUBBLE_LENS_CLICKHOUSE_URL: variable({
    defaultText: "unset: SQLite in HUBBLE_LENS_DATA_DIR",
    description:
      "Keep flow history in ClickHouse instead of the embedded SQLite file, e.g. " +
      "http://user:password@clickhouse:8123/hubble_lens (the path names the database, created if missing). " +
      "Several replicas can share it: one with HUBBLE_LENS_HISTORY=record, the others read.",
    schema: CLICKHOUSE_URL,
  }),
} as const;

/** How long investigations are kept (listed after the HTTP settings in the reference). */
export const INVESTIGATION_VARIABLES = {
  HUBBLE_LENS_INVESTIGATION_RETENTION: variable({
    defaultText: "unset: kept until deleted",
    description: "How long shared investigations are kept, e.g. 90d or 720h; older ones are deleted (checked at start and every 10 minutes).",
    schema: RETENTION,
  }),
} as const;

export interface StoreSettings {
  dataDir: string;
  databaseUrl: string | null;
}

export interface HistoryFilter {
  /** As written in HUBBLE_LENS_HISTORY_FILTER. */
  text: string;
  whitelist: readonly FlowFilter[];
  blacklist: readonly FlowFilter[];
}

export interface HistorySettings {
  mode: "record" | "read" | "off";
  keep: "all" | "rollup";
  filter: HistoryFilter | null;
  retentionMs: number;
  maxBytes: number;
  /** null: SQLite in the data directory. */
  clickhouseUrl: string | null;
}

type StorageValues = ParsedValues<typeof STORAGE_VARIABLES>;

export function storeSettings(v: StorageValues): StoreSettings {
  return { dataDir: v.HUBBLE_LENS_DATA_DIR, databaseUrl: v.DATABASE_URL ?? null };
}

export function historySettings(v: StorageValues): HistorySettings {
  return {
    mode: v.HUBBLE_LENS_HISTORY,
    keep: v.HUBBLE_LENS_HISTORY_KEEP,
    filter: v.HUBBLE_LENS_HISTORY_FILTER ?? null,
    retentionMs: v.HUBBLE_LENS_HISTORY_RETENTION,
    maxBytes: v.HUBBLE_LENS_HISTORY_MAX_SIZE,
    clickhouseUrl: v.HUBBLE_LENS_CLICKHOUSE_URL ?? null,
  };
}
