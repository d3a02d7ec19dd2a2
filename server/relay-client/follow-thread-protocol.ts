// What the server's thread and the follow thread (follow-thread.ts, follow-thread-worker.ts) say
// to each other.
import { RelayError, type RelayErrorCode } from "./errors";
import type { RelayConnection } from "./relay-client";

/** What the server's thread sends the follow thread. */
export type ToFollowThread =
  { readonly kind: "open"; readonly id: number; readonly request: Uint8Array } | { readonly kind: "read"; readonly id: number } | { readonly kind: "cancel"; readonly id: number };

/** A RelayError as it crosses threads. */
export interface ThreadError {
  readonly code?: RelayErrorCode;
  readonly message: string;
  readonly grpcCode?: number | null;
  readonly detail?: string;
}

/** What the follow thread sends back: for each stream, frames in relay order, then an end or an error. */
export type FromFollowThread =
  | { readonly kind: "connected"; readonly id: number }
  /** The messages' bytes back to back in `buffer`; `ends[i]` is where message i ends. */
  | { readonly kind: "frames"; readonly id: number; readonly buffer: ArrayBuffer; readonly ends: Uint32Array }
  | { readonly kind: "end"; readonly id: number }
  | { readonly kind: "error"; readonly id: number; readonly error: ThreadError };

export interface FollowThreadData {
  readonly relay: RelayConnection;
}

/** Batches of a stream the follow thread sends before it waits for this thread to read one. */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** A RelayError (or any error) as plain data, to post it. */
export function toThreadError(err: unknown): ThreadError {
  if (err instanceof RelayError) return { code: err.code, message: err.message, grpcCode: err.grpcCode, detail: err.detail };
  return { message: err instanceof Error ? err.message : String(err) };
}

export function fromThreadError(e: ThreadError): Error {
  return e.code ? new RelayError(e.code, e.message, { grpcCode: e.grpcCode ?? null, detail: e.detail }) : new Error(e.message);
}
