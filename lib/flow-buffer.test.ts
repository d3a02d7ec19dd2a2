import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { FlowBuffer } from "./flow-buffer";

/** A flow `s` seconds after 2024-01-01T00:00:00Z, with uuid `u<s>` unless told otherwise. */
function flow(s: number, uuid: string | null = `u${s}`): JsonObject {
  const time = new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();
  return {
    time,
    ...(uuid === null ? {} : { uuid }),
    verdict: "FORWARDED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2" },
    l4: { TCP: { source_port: 40000 + s, destination_port: 80 } },
    node_name: "n1",
  };
}

const ids = (b: FlowBuffer) => b.snapshot.rows.map((r) => r.id);

describe("FlowBuffer", () => {
  it("keeps at most `capacity` rows, evicting the oldest", () => {
    const b = new FlowBuffer(3);
    assert.equal(b.add([1, 2, 3, 4, 5].map((s) => flow(s))), 5);
    assert.deepEqual(ids(b), ["u5", "u4", "u3"]);
    assert.equal(b.snapshot.evicted, 2);
    assert.equal(b.evictedTotal, 2);
    b.add([flow(6)]);
    assert.deepEqual(ids(b), ["u6", "u5", "u4"]);
    assert.equal(b.snapshot.evicted, 1);
    assert.equal(b.evictedTotal, 3);
  });

  it("a snapshot keeps the raw JSON of every row it shows, however many flows arrive after it", () => {
    const b = new FlowBuffer(100);
    b.add(Array.from({ length: 100 }, (_, s) => flow(s)));
    const held = b.snapshot; // what a paused view shows
    for (let s = 100; s < 1000; s += 10) b.add(Array.from({ length: 10 }, (_, i) => flow(s + i)));
    for (const row of held.rows) assert.deepEqual(held.raw.get(row.id), flow(Number(row.id.slice(1))), row.id);
    for (const row of b.snapshot.rows) assert.ok(b.snapshot.raw.has(row.id), row.id);
  });

  it("forgets evicted rows' raw JSON in time: the map holds at most twice the capacity", () => {
    const b = new FlowBuffer(50);
    let most = 0;
    for (let s = 0; s < 2000; s += 7) {
      b.add(Array.from({ length: 7 }, (_, i) => flow(s + i)));
      most = Math.max(most, b.snapshot.raw.size);
    }
    assert.ok(most <= 2 * 50 + 7, `raw held ${most} entries`);
    assert.equal(b.snapshot.rows.length, 50);
  });

  it("shows a flow once, by uuid, across and within adds", () => {
    const b = new FlowBuffer(10);
    assert.equal(b.add([flow(1), flow(2), flow(1)]), 2);
    const before = b.snapshot;
    assert.equal(b.add([flow(2), flow(1)]), 0);
    assert.equal(b.snapshot, before, "no new snapshot when nothing changed");
    assert.deepEqual(ids(b), ["u2", "u1"]);
  });

  it("shows a uuid-less flow once, by content key", () => {
    const b = new FlowBuffer(10);
    assert.equal(b.add([flow(1, null), flow(2, null)]), 2);
    assert.equal(b.add([flow(1, null)]), 0);
    assert.equal(b.snapshot.rows.length, 2);
    assert.ok(b.snapshot.rows.every((r) => r.id.startsWith("ck|")));
  });

  it("orders rows newest first whatever order they arrive in", () => {
    const b = new FlowBuffer(10);
    b.add([flow(3), flow(1)]);
    b.add([flow(2)]);
    b.add([flow(4), flow(6), flow(5)]);
    b.add([flow(0)]);
    assert.deepEqual(ids(b), ["u6", "u5", "u4", "u3", "u2", "u1", "u0"]);
  });

  it("an old flow arriving at a full buffer is the one evicted", () => {
    const b = new FlowBuffer(3);
    b.add([flow(5), flow(6), flow(7)]);
    b.add([flow(1)]);
    assert.deepEqual(ids(b), ["u7", "u6", "u5"]);
    assert.equal(b.snapshot.evicted, 1, "u1 came and went in the same add");
  });

  const APPENDS: ReadonlyArray<{ rule: string; first: number[]; then: number[]; appended: number; evicted: number }> = [
    { rule: "all new", first: [1, 2], then: [3, 4], appended: 2, evicted: 0 },
    { rule: "some already present", first: [1, 2], then: [2, 3], appended: 1, evicted: 0 },
    { rule: "new rows pushing old ones out", first: [1, 2, 3], then: [4, 5], appended: 2, evicted: 1 },
    { rule: "older rows slotted in", first: [5, 6], then: [1, 2], appended: 2, evicted: 0 },
  ];
  for (const { rule, first, then, appended, evicted } of APPENDS) {
    it(`appended counts the rows of the last add (${rule}), and rows grow by appended - evicted`, () => {
      const b = new FlowBuffer(4);
      b.add(first.map((s) => flow(s)));
      const before = b.snapshot.rows.length;
      assert.equal(b.add(then.map((s) => flow(s))), appended);
      assert.equal(b.snapshot.appended, appended);
      assert.equal(b.snapshot.evicted, evicted);
      assert.equal(b.snapshot.rows.length - before, appended - evicted);
    });
  }

  it("clear empties the buffer, and a cleared flow can come back", () => {
    const b = new FlowBuffer(4);
    b.add([flow(1)]);
    b.clear();
    assert.deepEqual(b.snapshot.rows, []);
    assert.equal(b.snapshot.appended, 0);
    assert.equal(b.snapshot.raw.size, 0);
    assert.equal(b.add([flow(1)]), 1);
  });
});
