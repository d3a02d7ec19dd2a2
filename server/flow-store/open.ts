import "server-only";

import type { HistorySettings } from "@/server/config/env";
import { openClickHouseFlowStore } from "./clickhouse";
import { openSqliteFlowStore } from "./sqlite";
import type { FlowStore } from "./store";

/** The configured store: ClickHouse when a URL is set, else SQLite in the data directory. */
export async function openFlowStore(settings: HistorySettings, dataDir: string): Promise<FlowStore> {
  return settings.clickhouseUrl ? openClickHouseFlowStore(settings.clickhouseUrl) : openSqliteFlowStore(dataDir);
}
