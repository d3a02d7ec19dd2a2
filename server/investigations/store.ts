import "server-only";
import { type InvestigationFlowSource, MAX_INVESTIGATION_FLOWS, MAX_NOTE, MAX_SELECTED_FLOW, MAX_TITLE, MAX_VIEW_BYTES } from "@/lib/api/investigations";
import type { PolicySnapshot } from "@/server/policies";

// The investigation store's contract, shared by the SQLite and the PostgreSQL backends and by the
// API. An investigation is a frozen snapshot: once saved it never changes, so a link keeps opening
// the same view after the relay's buffers rotated, the policies changed or the server restarted.

// The API's bounds (lib/api/investigations.ts): the browser's form and the store check the same.
export { MAX_NOTE, MAX_SELECTED_FLOW, MAX_TITLE, MAX_VIEW_BYTES };
export const MAX_FLOWS = MAX_INVESTIGATION_FLOWS;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
export const MAX_OWNER = 256;
export const MAX_SHARED_GROUPS = 200;
/** Distinct (source, destination) namespace pairs recorded per investigation. */
export const MAX_NAMESPACE_PAIRS = 10_000;

/** Bytes (UTF-8) of a reference's JSON: its filters are the view's (≤ 8 KB of query) plus the saver's namespace scope. */
export const MAX_REFERENCE_BYTES = 64 * 1024;

/**
 * Where a referenced investigation's flows are: the flow history's flows of a time window that
 * match the view's Hubble filters, as many as there were when it was saved. Only the flow history
 * holds them (server/flow-store); `referenced.ts` reads them back.
 */
export interface FlowReference {
  /** GetFlows whitelist and blacklist, FlowFilter JSON (the view's filters with the saver's namespace scope ANDed in). */
  readonly whitelist: readonly unknown[];
  readonly blacklist: readonly unknown[];
  /** The window, ns since the epoch as decimal text (JSON has no 64-bit integers), both ends inclusive. */
  readonly sinceNs: string;
  readonly untilNs: string;
  /** Flows of the window the store held when it was saved. */
  readonly count: number;
}

/** Copied flows live in the investigation store; referenced ones in the flow history. */
export type FlowSource = InvestigationFlowSource;

/** The source and destination namespace of flows ("" for endpoints outside any namespace: world, host). */
export type NamespacePair = readonly [source: string, destination: string];

/** Who is asking for a list: their own investigations and those shared with their groups. */
export interface ListViewer {
  readonly user: string;
  readonly groups: readonly string[];
}

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
  /** Instead of `flows` (which must then be empty): where the flow history keeps them. */
  reference?: FlowReference;
  /** The policies as they were when the investigation was shared. */
  policies: PolicySnapshot;
  /** Who saved it (the signed-in user; "anonymous" without sign-in): the one who may delete it. */
  owner: string;
  /** Groups whose members find it in their list (the owner's groups when it was saved). */
  sharedWith: readonly string[];
  /**
   * The distinct (source, destination) namespaces of its flows: who may open it is decided from
   * these (everyone who may see every one of its flows), without reading the flows.
   */
  flowNamespaces: readonly NamespacePair[];
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
  /** "copy" for every investigation saved before references existed (migration 3). */
  flowSource: FlowSource;
  /** Set exactly when flowSource is "reference". */
  reference: FlowReference | null;
  policies: PolicySnapshot;
  owner: string;
  sharedWith: readonly string[];
  /** null for investigations saved before they were recorded: only those who see every namespace may open them. */
  flowNamespaces: readonly NamespacePair[] | null;
}

export type InvestigationSummary = Omit<Investigation, "policies" | "sharedWith" | "reference">;

export interface InvestigationStore {
  readonly kind: "sqlite" | "postgres";
  /** Saves atomically: afterwards the investigation is complete and durable, or absent. */
  save(inv: NewInvestigation): Promise<Investigation>;
  /** undefined for unknown or malformed ids (never throws for those). */
  get(id: string): Promise<Investigation | undefined>;
  /** The copied flows; [] for a referenced investigation (its flows are in the flow history). */
  flows(id: string): Promise<string[] | undefined>;
  /**
   * Newest first; `limit` defaults to 50 and is capped at 500. With a viewer, only theirs and those
   * shared with one of their groups; without, every one (tests, tools).
   */
  list(limit?: number, viewer?: ListViewer): Promise<InvestigationSummary[]>;
  /** Deletes one with its flows; false when there is none with that id. */
  delete(id: string): Promise<boolean>;
  /** Deletes every investigation created before `before`; answers their ids. */
  expire(before: Date): Promise<string[]>;
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
  if (inv.reference !== undefined) checkReference(inv.reference, inv.flows.length);
  if (inv.owner === "" || inv.owner.length > MAX_OWNER || !storableText(inv.owner)) {
    throw new InvestigationInputError("owner", `must be 1 to ${MAX_OWNER} characters without NUL`);
  }
  if (inv.sharedWith.length > MAX_SHARED_GROUPS || inv.sharedWith.some((g) => g === "" || g.length > MAX_OWNER || !storableText(g))) {
    throw new InvestigationInputError("sharedWith", `must be at most ${MAX_SHARED_GROUPS} group names of 1 to ${MAX_OWNER} characters`);
  }
  if (inv.flowNamespaces.length > MAX_NAMESPACE_PAIRS || inv.flowNamespaces.some((p) => p.some((ns) => !storableText(ns) || ns.length > MAX_OWNER))) {
    throw new InvestigationInputError("flowNamespaces", `must be at most ${MAX_NAMESPACE_PAIRS} namespace pairs`);
  }
  return { ...inv, title, sharedWith: [...new Set(inv.sharedWith)] };
}

function checkReference(ref: FlowReference, copied: number): void {
  const fail = (message: string) => new InvestigationInputError("reference", message);
  if (copied > 0) throw fail("an investigation either copies its flows or refers to them, not both");
  const decimal = /^-?\d{1,20}$/;
  if (!decimal.test(ref.sinceNs) || !decimal.test(ref.untilNs) || BigInt(ref.untilNs) < BigInt(ref.sinceNs)) {
    throw fail("sinceNs and untilNs must be whole nanoseconds, since ≤ until");
  }
  if (!Number.isInteger(ref.count) || ref.count < 0 || ref.count > MAX_FLOWS) throw fail(`count must be a whole number from 0 to ${MAX_FLOWS}`);
  if (!Array.isArray(ref.whitelist) || !Array.isArray(ref.blacklist)) throw fail("whitelist and blacklist must be lists of filters");
  const json = JSON.stringify(ref);
  if (Buffer.byteLength(json, "utf8") > MAX_REFERENCE_BYTES || !storableText(json)) throw fail(`must be at most ${MAX_REFERENCE_BYTES} bytes of JSON without NUL`);
}

/**
 * Text both backends keep verbatim: PostgreSQL's text type cannot hold NUL, and an unpaired
 * surrogate would silently become U+FFFD in UTF-8.
 */
function storableText(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- NUL is the character PostgreSQL cannot store
  return !/[\u0000\p{Cs}]/u.test(text);
}

export function clampListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}
