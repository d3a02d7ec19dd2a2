import "server-only";
import type { PolicySnapshot } from "@/server/policies";

// The investigation store's contract, shared by the SQLite and the PostgreSQL backends and by the
// API. An investigation is a frozen snapshot: once saved it never changes, so a link keeps opening
// the same view after the relay's buffers rotated, the policies changed or the server restarted.

export const MAX_TITLE = 200;
export const MAX_NOTE = 10_000;
/** Bytes (UTF-8) of the view's query string. */
export const MAX_VIEW_BYTES = 8 * 1024;
export const MAX_SELECTED_FLOW = 512;
export const MAX_FLOWS = 50_000;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export interface NewInvestigation {
  /** ≤ 200 chars, non-empty after trim (stored trimmed). */
  title: string;
  /** ≤ 10,000 chars, stored verbatim. */
  note: string;
  /** The dashboard view as a URL query string (lib/view-state parameters), ≤ 8 KB. */
  view: string;
  /** Flow id (uuid or content key) of the selected drop. */
  selectedFlow: string | null;
  /**
   * Flows as `hubble observe -o jsonpb` lines (one GetFlowsResponse JSON object each, no newline
   * inside), ≤ 50,000. Opaque to the store: `flows(id)` gives back exactly these strings.
   */
  flows: readonly string[];
  /** The policies as they were when the investigation was shared. */
  policies: PolicySnapshot;
}

export interface Investigation {
  /** 128 random bits, base64url (22 chars): the link is the capability. */
  id: string;
  title: string;
  note: string;
  view: string;
  selectedFlow: string | null;
  /** RFC 3339, UTC, milliseconds. */
  createdAt: string;
  flowCount: number;
  policies: PolicySnapshot;
}

export type InvestigationSummary = Omit<Investigation, "policies">;

export interface InvestigationStore {
  readonly kind: "sqlite" | "postgres";
  /** Saves atomically: afterwards the investigation is complete and durable, or absent. */
  save(inv: NewInvestigation): Promise<Investigation>;
  /** undefined for unknown or malformed ids (never throws for those). */
  get(id: string): Promise<Investigation | undefined>;
  flows(id: string): Promise<string[] | undefined>;
  /** Newest first; `limit` defaults to 50 and is capped at 500. */
  list(limit?: number): Promise<InvestigationSummary[]>;
  close(): Promise<void>;
}

/** A NewInvestigation that breaks a bound; `field` names what to fix. */
export class InvestigationInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "InvestigationInputError";
  }
}

/**
 * Checks the bounds every backend relies on and returns the values as stored (title trimmed).
 * The API validates the same bounds first with friendlier messages; this is the store's own guard.
 */
export function checkNewInvestigation(inv: NewInvestigation): NewInvestigation {
  for (const field of ["title", "note", "view", "selectedFlow"] as const) {
    const text = inv[field];
    if (text !== null && !storableText(text)) {
      throw new InvestigationInputError(field, "must not contain NUL characters or unpaired surrogates");
    }
  }
  const title = inv.title.trim();
  if (title === "") throw new InvestigationInputError("title", "must not be empty");
  if (title.length > MAX_TITLE) throw new InvestigationInputError("title", `must be at most ${MAX_TITLE} characters`);
  if (inv.note.length > MAX_NOTE) throw new InvestigationInputError("note", `must be at most ${MAX_NOTE} characters`);
  if (Buffer.byteLength(inv.view, "utf8") > MAX_VIEW_BYTES) {
    throw new InvestigationInputError("view", `must be at most ${MAX_VIEW_BYTES} bytes`);
  }
  if (inv.selectedFlow !== null && (inv.selectedFlow === "" || inv.selectedFlow.length > MAX_SELECTED_FLOW)) {
    throw new InvestigationInputError("selectedFlow", `must be null or 1 to ${MAX_SELECTED_FLOW} characters`);
  }
  if (inv.flows.length > MAX_FLOWS) throw new InvestigationInputError("flows", `must be at most ${MAX_FLOWS} flows`);
  return { ...inv, title };
}

/**
 * Text both backends keep verbatim: PostgreSQL's text type cannot hold NUL, and an unpaired
 * surrogate would silently become U+FFFD in UTF-8.
 */
function storableText(text: string): boolean {
  return !/[\u0000\p{Cs}]/u.test(text);
}

export function clampListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}
