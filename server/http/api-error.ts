import "server-only";
import { API_ERROR_STATUS, apiErrorBody, type ApiErrorCode } from "@/lib/api/errors";
import { classifyRelayError, type RelayError, type RelayErrorCode } from "@/server/relay-client/errors";

// The one place the server builds an HTTP error: `{"error": {"code", "message"}}` with a code from
// lib/api/errors.ts and the status that code comes with; never a stack and never a server path.
// The message says what to send instead.

export interface ApiErrorOptions {
  readonly headers?: Record<string, string>;
  /** The query parameter a 400 is about, and the value given (bounded by the caller). */
  readonly about?: { readonly param: string; readonly value: string };
  /** More top-level fields beside `error` (the readiness probe's `checks`). */
  readonly extra?: Record<string, unknown>;
}

/** An error answer: the status is the code's (lib/api/errors.ts). */
export function apiError(code: ApiErrorCode, message: string, options: ApiErrorOptions = {}): Response {
  return Response.json(
    { ...options.extra, ...apiErrorBody(code, message, options.about) },
    { status: API_ERROR_STATUS[code], headers: { "Cache-Control": "no-store", ...options.headers } },
  );
}

/** How a relay failure is named over HTTP (and in /api/status): the relay client's codes are internal. */
export const RELAY_API_CODES: Readonly<Record<RelayErrorCode, ApiErrorCode>> = {
  relay_unreachable: "relay-unavailable",
  relay_timeout: "relay-timeout",
  relay_overloaded: "relay-overloaded",
  relay_connection_lost: "relay-connection-lost",
  tls_failed: "relay-tls-failed",
  invalid_request: "relay-refused",
  not_supported: "relay-not-supported",
  permission_denied: "relay-permission-denied",
  unauthenticated: "relay-unauthenticated",
  relay_error: "relay-error",
};

/** What a relay call threw, as the code and message a person (or script) may see. */
export function relayProblem(err: unknown): { readonly code: ApiErrorCode; readonly message: string; readonly error: RelayError } {
  const error = classifyRelayError(err);
  return { code: RELAY_API_CODES[error.code], message: error.message, error };
}

/** A relay call failed: its classified error, in the common form (503 unreachable, 504 timeout, …). */
export function relayErrorResponse(err: unknown): Response {
  const { code, message } = relayProblem(err);
  return apiError(code, message);
}
