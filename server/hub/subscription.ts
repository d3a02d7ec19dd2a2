import "server-only";

import { encodeEvent, type StreamEvent } from "@/lib/sse";

export interface SubscriptionLimits {
  /** Most flow frames held for a slow client; older ones are dropped first. */
  readonly maxQueuedFlowFrames: number;
  /** Most bytes of flow frames held for a slow client (a history frame can be large); older ones are dropped first. */
  readonly maxQueuedBytes?: number;
  /**
   * A reader that has taken nothing for this long while flow frames wait is stalled: its queued
   * flow frames are dropped, and so is every new one until it reads again, all counted in the
   * `missed` event it gets when it resumes.
   */
  readonly stalledReaderMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** Default byte bound of a subscriber's queue: a reader that stops costs at most this much. */
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Default time bound: a reader that takes nothing for this long holds no flows at all. */
export const DEFAULT_STALLED_READER_MS = 30_000;

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

interface QueuedFrame {
  /** The frame in UTF-8, as it goes on the wire. */
  readonly bytes: Uint8Array;
  /** Flows in the frame; 0 for control frames, which are never dropped. */
  readonly flows: number;
  /** Set on the marker that stands where dropped flow frames were: how many flows they held. */
  missed?: number;
  /** Set on frames that a newer one of the same kind supersedes while unread (map, drops, sampling). */
  latest?: string;
}

/**
 * One browser's outbound queue. Bounded: when the client reads too slowly, its oldest flow batches
 * are dropped (never control events), and a `missed` event with the count takes their place in the
 * stream, so `ready` stays first and `end` last. Nothing here blocks the producer, so one slow
 * client never stalls the others. Bounded in time too: a reader that takes nothing for
 * `stalledReaderMs` while frames wait loses its queued flows (and those that come until it reads
 * again) to the same `missed` account, so a stalled connection holds no flows for long.
 */
export class Subscription {
  private queue: QueuedFrame[] = [];
  private flowFrames = 0;
  private flowBytes = 0;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly onClose: Array<() => void> = [];
  /** Since when frames have waited with the reader taking none; undefined while it keeps up. */
  private waitingSinceMs: number | undefined;
  private readonly now: () => number;

  constructor(private readonly limits: SubscriptionLimits) {
    this.now = limits.now ?? Date.now;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Total flows dropped for this client so far (reported and not yet reported). */
  missedTotal = 0;

  send(event: StreamEvent): void {
    this.push({ bytes: utf8.encode(encodeEvent(event)), flows: 0 });
  }

  /** Queues a pre-encoded `flows` frame shared with other subscribers (never modified). */
  sendFlowsFrame(bytes: Uint8Array, flows: number): void {
    if (this.closed) return;
    this.push({ bytes, flows });
    this.flowFrames++;
    this.flowBytes += bytes.length;
    const maxBytes = this.limits.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    // The newest frame always stays, whatever its size, so a reader that keeps up gets everything.
    while (this.flowFrames > this.limits.maxQueuedFlowFrames || (this.flowBytes > maxBytes && this.flowFrames > 1)) this.dropOldestFlowFrame();
    if (this.stalled) while (this.flowFrames > 0) this.dropOldestFlowFrame();
  }

  /** The reader has taken nothing for `stalledReaderMs` while frames waited. */
  get stalled(): boolean {
    const since = this.waitingSinceMs;
    return since !== undefined && this.now() - since >= (this.limits.stalledReaderMs ?? DEFAULT_STALLED_READER_MS);
  }

  /**
   * Queues a state frame (`kind`: map, drops, sampling) that a newer one of the same kind
   * supersedes while it is still unread: a slow reader holds one per kind, never a backlog. When
   * one is superseded, `replacement` (if given) gives the bytes that stand for both — for map
   * deltas, a full frame, since a delta only applies to the frame before it.
   */
  sendLatest(kind: string, bytes: Uint8Array, replacement?: () => Uint8Array): void {
    if (this.closed) return;
    const queued = this.queue.find((f) => f.latest === kind);
    if (queued) {
      const i = this.queue.indexOf(queued);
      this.queue[i] = { bytes: replacement ? replacement() : bytes, flows: 0, latest: kind };
      return;
    }
    this.push({ bytes, flows: 0, latest: kind });
  }

  /** Waits for the next frame, in UTF-8; undefined once closed and drained. */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const frame = this.queue.shift();
      if (frame) {
        // The reader took a frame: the stall clock restarts for what still waits.
        this.waitingSinceMs = this.queue.length > 0 ? this.now() : undefined;
        if (frame.missed !== undefined) return utf8.encode(encodeEvent({ type: "missed", count: frame.missed }));
        if (frame.flows > 0) {
          this.flowFrames--;
          this.flowBytes -= frame.bytes.length;
        }
        return frame.bytes;
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Bytes of flow frames waiting for the client. */
  get queuedBytes(): number {
    return this.flowBytes;
  }

  /** Ends the stream after what is queued (e.g. after an `end` event). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal();
    for (const fn of this.onClose.splice(0)) fn();
  }

  /** Called once when the subscription closes (client gone or stream ended). */
  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.onClose.push(fn);
  }

  private push(frame: QueuedFrame): void {
    if (this.closed) return;
    this.queue.push(frame);
    this.waitingSinceMs ??= this.now();
    this.signal();
  }

  private dropOldestFlowFrame(): void {
    const i = this.queue.findIndex((f) => f.flows > 0);
    if (i < 0) return;
    const dropped = this.queue[i];
    const before = this.queue[i - 1];
    // Consecutive drops share one marker, so the markers stay fewer than the control frames.
    if (before?.missed !== undefined) {
      before.missed += dropped.flows;
      this.queue.splice(i, 1);
    } else {
      this.queue[i] = { bytes: EMPTY, flows: 0, missed: dropped.flows };
    }
    this.flowFrames--;
    this.flowBytes -= dropped.bytes.length;
    this.missedTotal += dropped.flows;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
