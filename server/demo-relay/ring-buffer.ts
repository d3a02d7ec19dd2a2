import "server-only";

/**
 * A fixed-capacity ring of events, like the Hubble agent's per-node ring buffer.
 *
 * Every write gets a monotonically increasing sequence number. Readers hold a sequence number as a
 * cursor; a reader that falls more than `capacity` writes behind has been overtaken and learns how
 * many entries it lost (Hubble reports that as a LostEvent from HUBBLE_RING_BUFFER).
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private nextSeq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    this.slots = new Array(capacity);
  }

  /** Sequence number the next write will get. */
  get writeSeq(): number {
    return this.nextSeq;
  }

  /** Sequence number of the oldest entry still held. */
  get oldestSeq(): number {
    return Math.max(0, this.nextSeq - this.capacity);
  }

  get size(): number {
    return this.nextSeq - this.oldestSeq;
  }

  push(item: T): number {
    const seq = this.nextSeq++;
    this.slots[seq % this.capacity] = item;
    return seq;
  }

  /** The entry at `seq`, or undefined when it was overwritten or not written yet. */
  at(seq: number): T | undefined {
    if (seq < this.oldestSeq || seq >= this.nextSeq) return undefined;
    return this.slots[seq % this.capacity];
  }
}
