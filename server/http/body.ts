import "server-only";
import type { ApiErrorCode } from "@/lib/api/errors";
import { apiError } from "./api-error";

// The one way a route reads a request body. Every route states what it needs (a byte cap, JSON);
// a body is refused as early as possible: by its Content-Type and declared length before a byte
// is read, and at the first byte past the cap while it streams in (Content-Length may be absent or
// lie). One UTF-8 rule for all routes: the bytes must be valid UTF-8 (a leading BOM is ignored);
// anything else is a 400, never silently replaced by U+FFFD.
//
// JSON nesting is bounded before JSON.parse: V8 parses 100,000 nested arrays fine, but everything
// after it that walks the value recursively (zod, boundFlowJson, the explainer) would overflow
// the stack and answer 500.

/** Deeper than any Hubble flow (about 6 levels) or request the dashboard sends, by far. */
export const MAX_JSON_DEPTH = 64;

export interface BodyRules {
  /** Bytes; the body is cut off at the first byte past it (413). */
  readonly maxBytes: number;
  /** The `code` of a 400 for a body that is not what the route takes (e.g. "invalid-investigation"). */
  readonly invalidCode: ApiErrorCode;
  /** What the route takes, for the 413 and 415 messages ("one flow", "an investigation"). */
  readonly what: string;
}

export type BodyResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: Response };

const fail = (response: Response): { ok: false; response: Response } => ({ ok: false, response });

/** 415 unless the request says it carries JSON. A cross-site HTML form cannot send application/json. */
export function requireJson(request: Request, rules: BodyRules): Response | undefined {
  const type = request.headers.get("content-type") ?? "";
  if (/^application\/json\s*(;|$)/i.test(type)) return undefined;
  return apiError("unsupported-media-type", `send ${rules.what} as JSON (Content-Type: application/json)`);
}

export function tooLarge(rules: BodyRules): Response {
  return apiError("too-large", `the body is larger than ${formatBytes(rules.maxBytes)}; send ${rules.what}`);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** 413 when Content-Length already says the body is over the cap; nothing is read. */
function declaredTooLarge(request: Request, rules: BodyRules): Response | undefined {
  const declared = Number(request.headers.get("content-length"));
  return Number.isFinite(declared) && declared > rules.maxBytes ? tooLarge(rules) : undefined;
}

/**
 * The body as chunks of UTF-8 text, decoded as they arrive. Ends with a BodyFailure response on
 * the first byte past the cap or the first invalid UTF-8 sequence; the rest is never read.
 */
export async function* bodyTextChunks(request: Request, rules: BodyRules): AsyncGenerator<string, Response | undefined> {
  const early = declaredTooLarge(request, rules);
  if (early) return early;
  if (request.body === null) return undefined;
  const reader = request.body.getReader();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > rules.maxBytes) return tooLarge(rules);
      let text: string;
      try {
        text = decoder.decode(value, { stream: true });
      } catch {
        return notUtf8(rules);
      }
      if (text !== "") yield text;
    }
    try {
      const rest = decoder.decode();
      if (rest !== "") yield rest;
    } catch {
      return notUtf8(rules);
    }
    return undefined;
  } finally {
    // Stop the upload when we leave early (too large, bad bytes, the consumer gave up).
    await reader.cancel().catch(() => {});
  }
}

function notUtf8(rules: BodyRules): Response {
  return apiError(rules.invalidCode, "the body is not valid UTF-8");
}

/** The whole body as text, under the route's rules. */
export async function readBodyText(request: Request, rules: BodyRules): Promise<BodyResult<string>> {
  const chunks: string[] = [];
  const it = bodyTextChunks(request, rules);
  for (;;) {
    const step = await it.next();
    if (step.done) {
      if (step.value) return fail(step.value);
      break;
    }
    chunks.push(step.value);
  }
  return { ok: true, value: chunks.join("") };
}

/**
 * A JSON body: Content-Type application/json, at most `maxBytes`, valid UTF-8, nested at most
 * MAX_JSON_DEPTH deep, then parsed. Each failure is a 4xx in the common error form.
 */
export async function readJsonBody(request: Request, rules: BodyRules): Promise<BodyResult<unknown>> {
  const wrongType = requireJson(request, rules);
  if (wrongType) return fail(wrongType);
  const text = await readBodyText(request, rules);
  if (!text.ok) return text;
  const parsed = parseJsonBounded(text.value);
  if (!parsed.ok) return fail(apiError(rules.invalidCode, `${parsed.message}; send ${rules.what}`));
  return { ok: true, value: parsed.value };
}

export type ParsedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** JSON.parse, after refusing nesting deeper than `maxDepth`. */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): ParsedJson {
  if (jsonDepthExceeds(text, maxDepth)) return { ok: false, message: `the JSON is nested more than ${maxDepth} levels deep` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON (${(err as Error).message.slice(0, 120)})` };
  }
}

/**
 * True when arrays and objects in `text` nest deeper than `max`. Strings are skipped whole, so
 * brackets inside them do not count; the text need not be valid JSON (JSON.parse judges that).
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = stringEnd(text, i);
      if (i < 0) return false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string that opens at `open`, or -1 when it does not close in `text`. */
export function stringEnd(text: string, open: number): number {
  let i = open + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > open && text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}
