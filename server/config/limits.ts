import "server-only";
import { z } from "zod";
import { durationValue, integerValue, quote } from "./values";
import { variable, type ParsedValues } from "./variable";

// What one client or stream may take: open streams, relay streams, history queries, queued bytes
// and how long a reader may stall.

/** A subscriber's queue: sizes as HUBBLE_LENS_HISTORY_MAX_SIZE writes them, from 256KiB (a history frame) to 1GiB. */
const QUEUE_SIZE = z.string().transform((raw, ctx) => {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(raw);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };
  const bytes = m ? Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]) : NaN;
  if (!(bytes >= 256 * 2 ** 10 && bytes <= 2 ** 30)) {
    ctx.addIssue({ code: "custom", message: `must be a size from 256KiB to 1GiB, such as 8MiB or 32MB (got ${quote(raw)})` });
    return z.NEVER;
  }
  return bytes;
});

/** How long a stream reader may take nothing: a Go duration from 1s to 1h. */
const STALL_TIME = durationValue.transform((ms, ctx) => {
  if (ms < 1000) {
    ctx.addIssue({ code: "custom", message: `must be at least 1s, e.g. 30s (got ${ms}ms)` });
    return z.NEVER;
  }
  return ms;
});

/** Caps on what one client or stream may take. */
export const LIMIT_VARIABLES = {
  HUBBLE_LENS_MAX_STREAMS_PER_CLIENT: variable({
    default: "16",
    description:
      "Flow streams (GET /api/flows: each open view or tab) one client may hold open at once; more get a 429 with Retry-After. " +
      "A client is the signed-in person with HUBBLE_LENS_AUTH=oidc or proxy (behind a proxy every connection comes from its address), " +
      "else the connection's address. Not enforced when the server was not started through its entry (npm start, the image), " +
      "which is what tells it the address.",
    schema: integerValue(1, 100_000, "16"),
  }),
  HUBBLE_LENS_MAX_RELAY_STREAMS: variable({
    default: "32",
    description:
      "Distinct server-side filters that get a following GetFlows stream of their own from the relay; views with further filters " +
      "share one unfiltered stream, filtered in the server.",
    schema: integerValue(1, 10_000, "32"),
  }),
  HUBBLE_LENS_MAX_HISTORY_QUERIES: variable({
    default: "4",
    description:
      "History queries (the flows a view starts with) run against the relay or the flow history at once; more wait their turn, " +
      "so a storm of connecting clients cannot starve the live views.",
    schema: integerValue(1, 1000, "4"),
  }),
  HUBBLE_LENS_STREAM_QUEUE_SIZE: variable({
    default: "8MiB",
    description:
      "Most flow data queued for one stream whose browser reads slowly; beyond, the oldest flows are dropped and the browser is told " + "how many it missed. From 256KiB to 1GiB.",
    schema: QUEUE_SIZE,
  }),
  HUBBLE_LENS_STALLED_STREAM_TIMEOUT: variable({
    default: "30s",
    description:
      "A stream whose browser takes nothing for this long while flows wait is stalled: its queued flows, and those that come until it " +
      "reads again, are dropped and counted in the missed event it gets when it resumes. From 1s to 1h.",
    schema: STALL_TIME,
  }),
} as const;

/** What one client or stream may take (server/hub, server/http/stream-limit.ts). */
export interface StreamLimits {
  maxStreamsPerClient: number;
  maxRelayStreams: number;
  maxHistoryQueries: number;
  queueBytes: number;
  stalledReaderMs: number;
}

export function streamLimits(v: ParsedValues<typeof LIMIT_VARIABLES>): StreamLimits {
  return {
    maxStreamsPerClient: v.HUBBLE_LENS_MAX_STREAMS_PER_CLIENT,
    maxRelayStreams: v.HUBBLE_LENS_MAX_RELAY_STREAMS,
    maxHistoryQueries: v.HUBBLE_LENS_MAX_HISTORY_QUERIES,
    queueBytes: v.HUBBLE_LENS_STREAM_QUEUE_SIZE,
    stalledReaderMs: v.HUBBLE_LENS_STALLED_STREAM_TIMEOUT,
  };
}
