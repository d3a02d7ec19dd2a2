// Groups HTTP paths into endpoints, so `/orders/123` and `/orders/456` are one row: `/orders/:id`.
// The patterns are fixed here; nothing is ever compiled from flow text.

export const MAX_PATH_SEGMENTS = 8;
export const MAX_SEGMENT = 40;
export const MAX_PATH = 160;
export const MAX_METHOD = 16;

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^[0-9a-f]{16,}$/i;
// Mixed letters and digits of token length (base64/ULID-like ids, hashes).
const TOKEN = /^(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}$/;

export function endpointPath(path: string): string {
  if (!path) return "/";
  const segments = path.split("/");
  const out: string[] = [];
  // segments[0] is "" for an absolute path.
  for (let i = 0; i < segments.length; i++) {
    if (i > MAX_PATH_SEGMENTS) {
      out.push("…");
      break;
    }
    out.push(groupSegment(segments[i]));
  }
  const grouped = out.join("/");
  return grouped.length > MAX_PATH ? `${grouped.slice(0, MAX_PATH - 1)}…` : grouped;
}

function groupSegment(segment: string): string {
  if (segment === "") return segment;
  if (NUMERIC.test(segment)) return ":id";
  if (UUID.test(segment)) return ":uuid";
  if (HEX_ID.test(segment)) return ":hex";
  if (TOKEN.test(segment)) return ":token";
  return segment.length > MAX_SEGMENT ? `${segment.slice(0, MAX_SEGMENT - 1)}…` : segment;
}

export function endpointMethod(method: string | undefined): string {
  if (!method) return "?";
  return method.length > MAX_METHOD ? `${method.slice(0, MAX_METHOD - 1)}…` : method;
}
