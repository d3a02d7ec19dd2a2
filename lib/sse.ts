// The one event protocol of `GET /api/flows` (Server-Sent Events), used by the server to encode and
// by the browser to decode. Pure and isomorphic.
//
// A stream is: `ready` first; then any mix of `flows`, `lost`, `missed`, `nodes`, `relay`,
// `error`, `map`, `drops` and `sampling`; and, unless the client leaves first, a terminal `end`.
// Flows travel in Hubble's own JSON form (`hubble observe -o jsonpb`, the Flow object), so what the
// browser shows, exports and links to is exactly what Hubble printed.
//
// Two kinds of content: the flows themselves, at most a budget per second per browser (drops,
// audits, errors and L7 errors first; `sampling` says exactly what was left out), and what the
// server computed from every flow of the view — the service map (`map`: a full frame, then
// deltas) and the Drops view's groups (`drops`) — at most twice a second. Counts on the map and in
// the Drops view are therefore exact whatever the browser received.

import type { ApiErrorCode } from "./api/errors";
import type { JsonObject } from "@bufbuild/protobuf";
import type { DropGroups } from "./drops/group";
import type { MapFrame } from "./service-map/wire";

/** The relay connection as the browser sees it. Times are RFC 3339. */
export type RelayStateView =
  | { readonly kind: "connecting"; readonly address: string }
  | {
      readonly kind: "live";
      readonly address: string;
      readonly since: string;
      /**
       * Set when this connection follows a break: the relay could not be followed from `from` to
       * `to` (`seconds` long), and flows from that time may be missing.
       */
      readonly outage?: { readonly from: string; readonly to: string; readonly seconds: number };
    }
  | {
      readonly kind: "reconnecting";
      readonly address: string;
      readonly attempt: number;
      readonly nextTryAt: string;
      readonly lastError: string;
    }
  | { readonly kind: "failed"; readonly address: string; readonly reason: string };

/**
 * What the flow budget let through, counted since the stream went live: `priority` flows are
 * drops, audits, errors and L7 errors (HTTP ≥ 400, DNS rcode ≠ 0), sent before forwarded ones.
 */
export interface SamplingAccount {
  /** Flows per second this browser gets at most. */
  readonly budget: number;
  readonly seen: { readonly priority: number; readonly forwarded: number };
  readonly sent: { readonly priority: number; readonly forwarded: number };
}

/** The error codes a stream reports: those of lib/api/errors.ts that can happen after it started. */
export type StreamErrorCode = Extract<ApiErrorCode, "invalid-query" | "relay-unavailable" | "relay-refused" | "node-error" | "internal">;

export type StreamEvent =
  | {
      readonly type: "ready";
      /** The query as the server understood it, in `hubble observe` flags. */
      readonly command: string;
      readonly follow: boolean;
    }
  | { readonly type: "flows"; readonly flows: readonly JsonObject[]; readonly history?: boolean }
  | { readonly type: "lost"; readonly node: string; readonly source: string; readonly count: number }
  /** Flows the server dropped because this client read too slowly. */
  | { readonly type: "missed"; readonly count: number }
  | {
      readonly type: "nodes";
      readonly state: "NODE_CONNECTED" | "NODE_UNAVAILABLE" | "NODE_GONE" | "NODE_ERROR" | "UNKNOWN_NODE_STATE";
      readonly nodes: readonly string[];
      readonly message?: string;
    }
  | { readonly type: "relay"; readonly state: RelayStateView }
  /** The service map of every flow of the view over its window (server-side aggregation). */
  | { readonly type: "map"; readonly frame: MapFrame }
  /** The Drops view's groups, from every drop of the view over its window. */
  | { readonly type: "drops"; readonly groups: DropGroups }
  | { readonly type: "sampling"; readonly account: SamplingAccount }
  | { readonly type: "error"; readonly code: StreamErrorCode; readonly message: string }
  | { readonly type: "end"; readonly reason: "complete" | "until" | "error" | "shutdown" };

export type StreamEventType = StreamEvent["type"];

const EVENT_TYPES: ReadonlySet<string> = new Set<StreamEventType>(["ready", "flows", "lost", "missed", "nodes", "relay", "error", "end", "map", "drops", "sampling"]);

/** One SSE frame. The event name repeats `type` so EventSource listeners can pick events by name. */
export function encodeEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A comment frame; keeps proxies from closing an idle stream. */
export const HEARTBEAT = ": keep-alive\n\n";

/**
 * Incremental parser of an SSE byte stream already decoded to text. Feed chunks as they come;
 * complete events come out. Frames that are not ours (unknown names, bad JSON) are skipped and
 * counted, never thrown, because a stream must survive one bad frame.
 */
export class SseParser {
  private buffer = "";
  skipped = 0;

  push(chunk: string): StreamEvent[] {
    this.buffer += chunk;
    const events: StreamEvent[] = [];
    for (;;) {
      const end = frameEnd(this.buffer);
      if (end < 0) break;
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + separatorLength(this.buffer, end));
      const event = parseFrame(frame);
      if (event) events.push(event);
      else if (frame.split("\n").some((l) => l.startsWith("data:"))) this.skipped++;
    }
    return events;
  }
}

function frameEnd(buffer: string): number {
  const a = buffer.indexOf("\n\n");
  const b = buffer.indexOf("\r\n\r\n");
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function separatorLength(buffer: string, end: number): number {
  return buffer.startsWith("\r\n\r\n", end) ? 4 : 2;
}

function parseFrame(frame: string): StreamEvent | undefined {
  let name = "message";
  const data: string[] = [];
  for (const rawLine of frame.split(/\r?\n/)) {
    if (rawLine === "" || rawLine.startsWith(":")) continue;
    const colon = rawLine.indexOf(":");
    const field = colon < 0 ? rawLine : rawLine.slice(0, colon);
    let value = colon < 0 ? "" : rawLine.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  return parseEventData(name, data.join("\n"));
}

/** Parses the `data` of one event (as EventSource delivers it) and checks it is ours. */
export function parseEventData(name: string, data: string): StreamEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) return undefined;
  if (name !== "message" && name !== type) return undefined;
  return value as StreamEvent;
}
