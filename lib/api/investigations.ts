// `/api/investigations/**`: saved investigations, as both ends see them. The server builds its
// answers with these types (server/http/investigations.ts, server/investigations/access.ts), so a
// field added on one side and not the other fails the typecheck.

import type { JsonObject } from "@bufbuild/protobuf";
import type { PolicySet } from "@/lib/policy/types";

/** The bounds a save is checked against (server/investigations/store.ts checks them again). */
export const MAX_INVESTIGATION_FLOWS = 50_000;
export const MAX_TITLE = 200;
export const MAX_NOTE = 10_000;
/** Bytes (UTF-8) of the view's query string. */
export const MAX_VIEW_BYTES = 8 * 1024;
export const MAX_SELECTED_FLOW = 512;

/** `POST /api/investigations`'s body (built by lib/investigation's shareInvestigationBody). */
export interface CreateInvestigationRequest {
  readonly title: string;
  readonly note: string;
  /** The dashboard view as a URL query string, made absolute (since/until). */
  readonly view: string;
  readonly selectedFlow: string | null;
  /** Flow objects (or whole `{"flow": …}` jsonpb lines), at most MAX_INVESTIGATION_FLOWS. */
  readonly flows: readonly JsonObject[];
}

/** Copied flows live in the investigation store; referenced ones are read from the flow history. */
export type InvestigationFlowSource = "copy" | "reference";

/** `POST /api/investigations`'s 201 answer (the link is also in `Location`). */
export interface CreateInvestigationResponse {
  readonly id: string;
  /** The page's path, with the base path. */
  readonly url: string;
  readonly flowSource: InvestigationFlowSource;
  readonly flowCount: number;
}

/** The policies as they were when it was saved. */
export type SavedPolicySet = PolicySet & { readonly version: number; readonly since: string };

/**
 * A referenced investigation as `GET …/<id>` describes it: what is known without reading its flows.
 * How many of them remain is learnt from the one read of its flows (`GET …/<id>/flows`), by
 * lib/investigation's `referenceAvailability`.
 */
export interface FlowReferenceView {
  /** The window (RFC 3339, ns precision dropped to ms). */
  readonly since: string;
  readonly until: string;
  readonly savedCount: number;
  /** This server's flow history: on, off (none of the flows can be read), or unknown (its figures could not be read just now). */
  readonly history: "on" | "off" | "unknown";
  /** How far back history reaches now; null when it is empty, off or unknown. */
  readonly reachesBack: string | null;
}

/** `GET /api/investigations/<id>`: everything but the flows, as the person asking may see it. */
export interface InvestigationView {
  readonly id: string;
  readonly title: string;
  readonly note: string;
  readonly view: string;
  readonly selectedFlow: string | null;
  /** RFC 3339, UTC, milliseconds. */
  readonly createdAt: string;
  readonly flowCount: number;
  readonly flowSource: InvestigationFlowSource;
  /** Scoped to the namespaces the person may see. */
  readonly policies: SavedPolicySet;
  /** Who saved it. */
  readonly owner: string;
  /** Groups whose members find it in their list. */
  readonly sharedWith: readonly string[];
  /** The person looking is its owner: they may delete it. */
  readonly canDelete: boolean;
  /** A referenced investigation: its window, its count and the flow history's figures (never its filters). */
  readonly reference?: FlowReferenceView;
}

/** One entry of `GET /api/investigations`. */
export interface InvestigationListItem {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
  readonly flowCount: number;
  readonly owner: string;
  readonly url: string;
}

/** `GET /api/investigations`: the 50 newest of the person's own and their groups', that they may open. */
export interface InvestigationListResponse {
  readonly investigations: readonly InvestigationListItem[];
}

/** `GET /api/investigations/<id>/flows`: NDJSON, one `hubble observe -o jsonpb` line per flow (read with lib/flow-json). */
export const INVESTIGATION_FLOWS_TYPE = "application/x-ndjson; charset=utf-8";

/** The path of an investigation's flows; `download`: as an attachment (the page's *Download flows*). */
export function investigationFlowsPath(id: string, options: { readonly download?: boolean } = {}): string {
  return `/api/investigations/${encodeURIComponent(id)}/flows${options.download ? "?download=1" : ""}`;
}
