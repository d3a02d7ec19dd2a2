import "server-only";

// Strings read straight from protobuf bytes, as the JSON path gives them: UTF-8 decoded and cut at
// MAX_TEXT as `boundFlowJson` cuts them. Shared by the readers that build a flow's values without
// decoding the message (server/flow-store/wire-record.ts, flow-row-wire.ts).
//
// Recently decoded names are kept by their bytes: a slot per hash, the newest name wins it. A
// cluster's namespaces, workloads, labels and nodes repeat from flow to flow, so most strings are a
// hash and a compare, not a decode and a new string. Bounded (CACHE_SLOTS names of at most
// CACHED_BYTES), and a miss costs what decoding always did.

import { MAX_TEXT } from "@/lib/flow-model";

const utf8 = new TextDecoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

const CACHE_SLOTS = 4096;
const CACHED_BYTES = 64;
const cachedBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(CACHE_SLOTS).fill(undefined);
const cachedText: string[] = new Array<string>(CACHE_SLOTS).fill("");

/** UTF-8 of `b[start, end)` (invalid bytes replaced), cut at MAX_TEXT as the JSON path cuts text. */
export function textOf(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return "";
  if (n > CACHED_BYTES) return decode(b, start, end);
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  const slot = (h >>> 0) & (CACHE_SLOTS - 1);
  const cached = cachedBytes[slot];
  if (cached !== undefined && cached.length === n) {
    let i = 0;
    while (i < n && cached[i] === b[start + i]) i++;
    if (i === n) return cachedText[slot];
  }
  const t = decode(b, start, end);
  cachedBytes[slot] = b.slice(start, end);
  cachedText[slot] = t;
  return t;
}

/**
 * `textOf` for a string protobuf validates (every string of flow.proto): undefined where the bytes
 * are not UTF-8, which `fromBinary` rejects. Invalid bytes decode to U+FFFD, so only a text that
 * holds one (rare) or is long enough to be cut (the cut may drop it) is checked again.
 */
export function validTextOf(b: Uint8Array, start: number, end: number): string | undefined {
  const t = textOf(b, start, end);
  if (end - start <= MAX_TEXT && !t.includes("\ufffd")) return t;
  try {
    strictUtf8.decode(b.subarray(start, end));
  } catch {
    return undefined;
  }
  return t;
}

function decode(b: Uint8Array, start: number, end: number): string {
  const t = utf8.decode(b.subarray(start, end));
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}…` : t;
}
