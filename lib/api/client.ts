// The browser's client for the Hubble Lens HTTP API: one typed function per route, one error type
// (ApiError: code, message, HTTP status), one way of reading an error answer. Components call it
// instead of `fetch`; React Query owns what it returns (STYLE.md, habit 8). Every function takes an
// AbortSignal (React Query passes one) and lets an abort through as the AbortError it is.
//
// What an answer can be, and what the caller gets:
// - 2xx: the body, typed from lib/api (no runtime validation beyond "is it the JSON we expect").
// - An error in our form (`{"error": {"code", "message"}}`): ApiError with that code and message.
// - Anything else (a proxy's HTML 502, an empty 504, a code this browser does not know): ApiError
//   with code "unknown" and a message that says what came back and who likely sent it.
// - No answer at all: ApiError "network-error", status 0.
//
// `GET /api/flows` (the SSE stream) is not here: it is an event stream (components/flow-stream-store.ts).

import { withBasePath } from "@/lib/base-path";
import { isApiErrorCode, type ApiErrorCode } from "./errors";
import type { FlowCountsResponse } from "./flows";
import {
  type CreateInvestigationRequest,
  type CreateInvestigationResponse,
  investigationFlowsPath,
  type InvestigationListResponse,
  type InvestigationView,
} from "./investigations";
import type { NamespaceRef, NamespacesResponse } from "./namespaces";
import { type ExplainRequest, type ExplainResult, type Explanation, type PoliciesResponse, POLICY_SINCE_HEADER, POLICY_VERSION_HEADER } from "./policies";
import type { SessionView, SignOutResponse } from "./session";
import type { RelayStatusView } from "./status";

/** Codes the client gives when the answer is not one of ours, or there is none. */
export type ClientErrorCode = "unknown" | "network-error";

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ApiErrorCode | ClientErrorCode,
    message: string,
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The query parameter a 400 is about, when the server named one. */
    readonly param?: string,
  ) {
    super(message);
  }
}

const MAX_QUOTED = 120;

/** One line of at most MAX_QUOTED characters: text from a proxy is shown, bounded, as text. */
function quote(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line;
}

function httpStatusText(status: number, statusText: string): string {
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}`;
}

/**
 * The ApiError an error answer stands for, from its status and body text. `what` names the
 * request ("GET /api/policies") for the messages that have nothing better to say.
 */
export function errorFromAnswer(what: string, status: number, statusText: string, contentType: string | null, text: string): ApiError {
  const json = /\bjson\b/i.test(contentType ?? "") || /^\s*[{[]/.test(text) ? tryJson(text) : undefined;
  const error = (json as { error?: unknown } | undefined)?.error;
  if (typeof error === "string" && error.trim() !== "") return new ApiError("unknown", quote(error), status);
  if (typeof error === "object" && error !== null) {
    const { code, message, param } = error as { code?: unknown; message?: unknown; param?: unknown };
    if (typeof message === "string" && message.trim() !== "") {
      return new ApiError(isApiErrorCode(code) ? code : "unknown", message, status, typeof param === "string" ? param : undefined);
    }
  }
  const answered = `${what} failed: ${httpStatusText(status, statusText)}`;
  if (text.trim() === "") return new ApiError("unknown", `${answered}, with no message${proxyHint(status)}`, status);
  if (/^\s*</.test(text) || /html/i.test(contentType ?? "")) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
    const page = title && title.trim() !== "" ? `an HTML page titled "${quote(decodeEntities(title))}"` : "an HTML page";
    return new ApiError("unknown", `${answered}, with ${page} instead of a Hubble Lens error${proxyHint(status)}`, status);
  }
  if (json !== undefined) return new ApiError("unknown", `${answered}, with JSON that is not a Hubble Lens error`, status);
  return new ApiError("unknown", `${answered}: ${quote(text)}${proxyHint(status)}`, status);
}

function proxyHint(status: number): string {
  return status === 502 || status === 503 || status === 504 ? "; a proxy in front of Hubble Lens may have answered because Hubble Lens did not (is it running?)" : "";
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] ?? "");
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The ApiError of a non-2xx Response (reads its body). */
export async function errorOfResponse(what: string, res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  return errorFromAnswer(what, res.status, res.statusText, res.headers.get("content-type"), text);
}

export interface ApiClientOptions {
  /** Prefixed to every path (tests give the test server's origin); "" in the browser. */
  readonly origin?: string;
  readonly fetch?: typeof fetch;
}

interface Call {
  readonly method?: "GET" | "POST" | "DELETE";
  readonly signal?: AbortSignal;
  readonly body?: unknown;
  readonly cache?: RequestCache;
  readonly accept?: string;
}

export function createApiClient(options: ApiClientOptions = {}) {
  const origin = options.origin ?? "";
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  /** The 2xx Response of `path`; anything else is thrown as an ApiError. */
  async function call(path: string, c: Call = {}): Promise<Response> {
    const method = c.method ?? "GET";
    const what = `${method} ${path.split("?")[0]}`;
    const headers: Record<string, string> = { accept: c.accept ?? "application/json" };
    if (c.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await doFetch(`${origin}${withBasePath(path)}`, {
        method,
        headers,
        ...(c.signal ? { signal: c.signal } : {}),
        ...(c.cache ? { cache: c.cache } : {}),
        ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
      });
    } catch (err) {
      if (c.signal?.aborted) throw err;
      throw new ApiError("network-error", `${what} could not be sent: Hubble Lens or the network is down (${err instanceof Error ? err.message : String(err)})`, 0);
    }
    if (!res.ok) throw await errorOfResponse(what, res);
    return res;
  }

  /** A 2xx JSON body, checked by `valid` (a wrong shape is an ApiError, not a crash later). */
  async function json<T>(path: string, c: Call, valid: (body: unknown) => boolean = isObject): Promise<T> {
    const res = await call(path, c);
    const text = await res.text();
    const body = tryJson(text);
    if (body === undefined || !valid(body)) {
      throw new ApiError(
        "unknown",
        `${c.method ?? "GET"} ${path.split("?")[0]} answered ${body === undefined ? "something that is not JSON" : "JSON of another shape"}: ${quote(text) || "nothing"}`,
        res.status,
      );
    }
    return body as T;
  }

  return {
    /** `GET /api/status`. */
    status: (signal?: AbortSignal) => json<RelayStatusView>("/api/status", { signal, cache: "no-store" }, (b) => isObject(b) && isObject((b as { relay?: unknown }).relay)),

    /** `GET /api/namespaces`: namespaces with flows in the last hour that the person may see. */
    namespaces: async (signal?: AbortSignal): Promise<readonly NamespaceRef[]> =>
      (await json<NamespacesResponse>("/api/namespaces", { signal, cache: "no-store" }, (b) => Array.isArray((b as NamespacesResponse).namespaces))).namespaces,

    /** `GET /api/session`. */
    session: (signal?: AbortSignal) => json<SessionView>("/api/session", { signal, cache: "no-store" }, (b) => isObject(b) && typeof b.user === "string"),

    /**
     * `GET /api/policies`, or the set in force at `at`. Revalidated with the ETag on every poll
     * ("no-cache"), so an unchanged set costs a 304, not the YAML.
     */
    policies: (at?: Date, signal?: AbortSignal) =>
      json<PoliciesResponse>(at ? `/api/policies?at=${encodeURIComponent(at.toISOString())}` : "/api/policies", { signal, cache: "no-cache" }, (b) =>
        Array.isArray((b as PoliciesResponse).policies),
      ),

    /** `POST /api/explain`: the Explanation, and which policy version it used. */
    explain: async (request: ExplainRequest, signal?: AbortSignal): Promise<ExplainResult> => {
      const res = await call("/api/explain", { method: "POST", body: request, signal });
      const explanation = tryJson(await res.text());
      if (!isObject(explanation)) throw new ApiError("unknown", "POST /api/explain answered something that is not an explanation", res.status);
      return { explanation: explanation as unknown as Explanation, version: res.headers.get(POLICY_VERSION_HEADER), since: res.headers.get(POLICY_SINCE_HEADER) };
    },

    /** `GET /api/flows/history`: `hubble observe -o jsonpb` lines (read them with lib/flow-json). */
    flowHistory: async (params: URLSearchParams, signal?: AbortSignal): Promise<string> =>
      (await call(`/api/flows/history?${params}`, { signal, accept: "application/x-ndjson" })).text(),

    /** `GET /api/flows/counts`. */
    flowCounts: (params: URLSearchParams, signal?: AbortSignal) =>
      json<FlowCountsResponse>(`/api/flows/counts?${params}`, { signal, cache: "no-store" }, (b) => Array.isArray((b as FlowCountsResponse).edges)),

    /** `POST /api/investigations`: saves the snapshot; its id, link and whether its flows were copied or referenced. */
    createInvestigation: (body: CreateInvestigationRequest, signal?: AbortSignal) =>
      json<CreateInvestigationResponse>("/api/investigations", { method: "POST", body, signal }, (b) => isObject(b) && typeof b.id === "string" && typeof b.url === "string"),

    /** `GET /api/investigations`: the 50 newest of the person's own and their groups' that they may open. */
    investigations: (signal?: AbortSignal) =>
      json<InvestigationListResponse>("/api/investigations", { signal, cache: "no-store" }, (b) => Array.isArray((b as InvestigationListResponse).investigations)),

    /** `GET /api/investigations/<id>`: everything but its flows (a 404 `not-found` for an unknown id or one the person may not open). */
    investigation: (id: string, signal?: AbortSignal) =>
      json<InvestigationView>(
        `/api/investigations/${encodeURIComponent(id)}`,
        { signal, cache: "no-store" },
        (b) => isObject(b) && typeof b.id === "string" && isObject(b.policies),
      ),

    /** `DELETE /api/investigations/<id>`: its owner only (others get 403 `not-owner`). */
    deleteInvestigation: async (id: string, signal?: AbortSignal): Promise<void> => {
      const res = await call(`/api/investigations/${encodeURIComponent(id)}`, { method: "DELETE", signal });
      await res.body?.cancel();
    },

    /** `GET /api/investigations/<id>/flows`: `hubble observe -o jsonpb` lines (read them with lib/flow-json or lib/investigation's snapshotFlows). */
    investigationFlows: async (id: string, signal?: AbortSignal): Promise<string> => (await call(investigationFlowsPath(id), { signal, accept: "application/x-ndjson" })).text(),

    /** Where the browser downloads an investigation's flows (a link, not a fetch: the browser saves the attachment). */
    investigationDownloadUrl: (id: string): string => `${origin}${withBasePath(investigationFlowsPath(id, { download: true }))}`,

    /** `POST /auth/logout`: ends the session; where to go next. */
    signOut: async (): Promise<SignOutResponse> => {
      const body = await json<Partial<SignOutResponse>>("/auth/logout", { method: "POST" });
      return { redirect: typeof body.redirect === "string" ? body.redirect : withBasePath("/") };
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The client the components use (same origin, the built base path). */
export const api: ApiClient = createApiClient();
