// The error form of every Hubble Lens HTTP answer: `{"error": {"code", "message"}}` with a code
// from the closed set below and the HTTP status it comes with. The server builds its errors from
// it (server/http/api-error.ts), the browser's client reads them with it (lib/api/client.ts), and
// the SSE stream's error events use the same words (lib/sse.ts). Codes are kebab-case words a
// script can switch on; the message is written for a person and says what to do instead.

/** Every code an API error may carry, with the HTTP status it is answered with. */
export const API_ERROR_STATUS = {
  // The request.
  "invalid-query": 400,
  "invalid-explain-request": 400,
  "invalid-investigation": 400,
  "unsupported-media-type": 415,
  "too-large": 413,
  "not-found": 404,
  // Who asks.
  unauthenticated: 401,
  "forbidden-namespace": 403,
  "not-owner": 403,
  "host-not-allowed": 403,
  "cross-site-request": 403,
  "too-many-streams": 429,
  "sign-in-failed": 400,
  "sign-in-unavailable": 502,
  // What the server has.
  "no-policies": 409,
  "history-off": 501,
  "not-ready": 503,
  busy: 503,
  internal: 500,
  // Hubble Relay (server/relay-client/errors.ts classifies its failures; server/http/api-error.ts
  // names them with these codes). A node's own error is reported inside a stream only.
  "relay-unavailable": 503,
  "relay-timeout": 504,
  "relay-overloaded": 503,
  "relay-connection-lost": 503,
  "relay-tls-failed": 502,
  "relay-refused": 400,
  "relay-not-supported": 501,
  "relay-permission-denied": 502,
  "relay-unauthenticated": 502,
  "relay-error": 502,
  "node-error": 502,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

/** The body of every error answer. `param`/`value` name the query parameter a 400 is about. */
export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string; readonly param?: string; readonly value?: string };
}

export function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === "string" && Object.hasOwn(API_ERROR_STATUS, code);
}

/** The error body, for the server and the middleware (which answers before any route runs). */
export function apiErrorBody(code: ApiErrorCode, message: string, about?: { readonly param: string; readonly value: string }): ApiErrorBody {
  return { error: { code, message, ...(about ? { param: about.param, value: about.value } : {}) } };
}
