import "server-only";
import { peerAddress } from "@/lib/auth/request";
import type { Viewer } from "@/server/auth/viewer";
import { apiError } from "./api-error";

// How many flow streams one client holds open at once (HUBBLE_LENS_MAX_STREAMS_PER_CLIENT).
// "One client" is whoever the configuration can tell apart: the signed-in person when sign-in is
// on (behind a sign-in proxy or an ingress every connection comes from the proxy's address, so the
// address would lump everyone together), else the TCP peer the server's entry recorded
// (scripts/server-preload.cjs; X-Forwarded-For is never believed). Without that entry the server
// cannot tell clients apart, and does not count.

/** Seconds a refused client is told to wait: streams end when tabs close, so soon. */
export const STREAM_RETRY_AFTER_S = 5;

export class StreamsPerClient {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Counts a stream for `client`; the release to call once when it ends, or null past the cap. */
  take(client: string): (() => void) | null {
    const n = this.open.get(client) ?? 0;
    if (n >= this.max) return null;
    this.open.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(client) ?? 1) - 1;
      if (left <= 0) this.open.delete(client);
      else this.open.set(client, left);
    };
  }

  /** Streams open for `client` (tests and /metrics). */
  count(client: string): number {
    return this.open.get(client) ?? 0;
  }
}

/** Who a stream is counted against, or null when the server cannot tell (no entry, no sign-in). */
export function streamClient(headers: Headers, viewer: Pick<Viewer, "mode" | "user">, peerToken: string | null): string | null {
  if (viewer.mode !== "none") return `user:${viewer.user}`;
  const peer = peerAddress(headers, peerToken);
  return peer === null ? null : `addr:${peer}`;
}

export function tooManyStreams(max: number): Response {
  return apiError(
    "too-many-streams",
    `this client already has ${max} flow streams open, the most allowed (HUBBLE_LENS_MAX_STREAMS_PER_CLIENT): close other tabs or views of Hubble Lens and retry`,
    { headers: { "Retry-After": String(STREAM_RETRY_AFTER_S) } },
  );
}
