import "server-only";
import type { StoreSettings } from "@/server/config/env";

// STUB (the lead's contract; the investigation-store helper replaces this file, keeping these names).

export interface InvestigationStore {
  readonly kind: "sqlite" | "postgres";
  close(): Promise<void>;
}

export async function openInvestigationStore(settings: StoreSettings): Promise<InvestigationStore> {
  void settings;
  return { kind: "sqlite", close: async () => {} };
}
