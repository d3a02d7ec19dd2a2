import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RingBuffer } from "./ring-buffer";

/** A ring of `capacity` after `writes` pushes of 0, 1, 2, … */
function ringAfter(capacity: number, writes: number): RingBuffer<number> {
  const ring = new RingBuffer<number>(capacity);
  for (let i = 0; i < writes; i++) assert.equal(ring.push(i), i, "push returns the entry's sequence number");
  return ring;
}

describe("RingBuffer keeps the newest `capacity` writes, addressed by sequence number", () => {
  const cases = [
    { name: "empty", capacity: 7, writes: 0, oldest: 0, size: 0 },
    { name: "partly filled", capacity: 7, writes: 3, oldest: 0, size: 3 },
    { name: "exactly full", capacity: 7, writes: 7, oldest: 0, size: 7 },
    { name: "one write past full drops the oldest", capacity: 7, writes: 8, oldest: 1, size: 7 },
    { name: "wrapped several times", capacity: 7, writes: 30, oldest: 23, size: 7 },
    { name: "capacity 1 holds only the last write", capacity: 1, writes: 5, oldest: 4, size: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ring = ringAfter(c.capacity, c.writes);
      assert.equal(ring.writeSeq, c.writes);
      assert.equal(ring.oldestSeq, c.oldest);
      assert.equal(ring.size, c.size);
      // Every held sequence reads back its own value; anything outside is undefined.
      for (let seq = c.oldest; seq < c.writes; seq++) assert.equal(ring.at(seq), seq);
      assert.equal(ring.at(c.oldest - 1), undefined, "overwritten");
      assert.equal(ring.at(c.writes), undefined, "not written yet");
    });
  }
});

describe("RingBuffer refuses a capacity that is not a positive integer", () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) {
    it(String(capacity), () => {
      assert.throws(() => new RingBuffer(capacity), RangeError);
    });
  }
});
