import "server-only";
import type { JsonObject } from "@bufbuild/protobuf";
import type { LostEvent } from "@/proto/gen/flow/flow_pb";
import { flowToBoundedJson } from "@/lib/flow-json";
import { contentKey } from "@/lib/flow-model";
import { type EpochNs, timestampToNs } from "@/lib/timestamp";
import type { RelayResponse } from "@/server/grpc/raw-flows";

// De-duplication for a follow stream that resumes with `since` = last flow time - overlap.
// After a reconnect the relay sends again every flow of the overlap window; the keys below let
// the follower drop the ones it already delivered and keep the ones it never saw.

/**
 * Identity of a flow response's flow: its uuid (Cilium >= 1.14), or else its content key
 * (`contentKey` in lib/flow-model: the one definition of "the same flow"), read from the JSON the
 * relay client transcoded, else from the message through the reference (lib/flow-json.ts). Null when
 * the flow has neither uuid nor time (a field mask removed them): such flows cannot be matched.
 */
export function flowKey(response: RelayResponse): string | null {
  if (response.responseTypes.case !== "flow") return null;
  const wire = response.wire;
  const uuid = wire ? wire.uuid : response.responseTypes.value.uuid;
  if (uuid) return `u:${uuid}`;
  if (wire && !wire.time) return null;
  const json = wire?.json ? (JSON.parse(text.decode(wire.json)) as JsonObject) : flowToBoundedJson(response.responseTypes.value);
  if (typeof json.time !== "string") return null;
  return contentKey(json, response.nodeName);
}

const text = new TextDecoder();

/**
 * Lost events bypass the time range of a request, so a resumed stream repeats every one still in
 * the ring; they are matched on all their fields plus the envelope's node and time.
 */
export function lostEventKey(lost: LostEvent, nodeName: string, envelopeTime: EpochNs): string {
  return [nodeName, envelopeTime, lost.source, lost.numEventsLost, lost.cpu ?? "", timestampToNs(lost.first), timestampToNs(lost.last)].join("|");
}

export interface FlowDedupOptions {
  /** Keys of flows older than (newest flow time - windowNs) are forgotten. */
  windowNs: EpochNs;
  /** Hard cap on remembered keys; the oldest go first. */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 200_000;
const PRUNE_EVERY = 1024;

/**
 * Remembers the keys of recent flows. Memory is bounded by the flows of one window, plus at most
 * max(1024, that many) inserted between two prunes, and never more than `maxKeys`.
 */
export class FlowDeduplicator {
  private readonly keys = new Map<string, EpochNs>();
  private readonly windowNs: EpochNs;
  private readonly maxKeys: number;
  private newestNs: EpochNs = 0n;
  private insertsSincePrune = 0;
  private sizeAfterPrune = 0;

  constructor(opts: FlowDedupOptions) {
    this.windowNs = opts.windowNs;
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** True when the key is new (and now remembered); false for a duplicate. */
  admit(key: string, timeNs: EpochNs): boolean {
    if (this.keys.has(key)) return false;
    // A flow older than the window cannot be a repeat (a resumed stream starts inside the
    // window), so it is delivered and not remembered.
    if (timeNs < this.newestNs - this.windowNs) return true;
    this.keys.set(key, timeNs);
    if (timeNs > this.newestNs) this.newestNs = timeNs;
    // Pruning scans every key, so it runs after as many inserts as there were keys: O(1) amortized.
    if (++this.insertsSincePrune >= Math.max(PRUNE_EVERY, this.sizeAfterPrune)) this.prune();
    if (this.keys.size > this.maxKeys) this.evictOldestInserted(this.keys.size - this.maxKeys);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }

  /** Forgets every key older than the window. */
  prune(): void {
    this.insertsSincePrune = 0;
    const threshold = this.newestNs - this.windowNs;
    for (const [key, time] of this.keys) if (time < threshold) this.keys.delete(key);
    this.sizeAfterPrune = this.keys.size;
  }

  private evictOldestInserted(count: number): void {
    for (const key of this.keys.keys()) {
      if (count-- <= 0) break;
      this.keys.delete(key);
    }
  }
}

/** A set that forgets its oldest entries beyond `capacity`. */
export class BoundedKeySet {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** True when the key is new (and now remembered). */
  admit(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
