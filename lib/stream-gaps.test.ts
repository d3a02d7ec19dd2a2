import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addLost, addMissed, gapsNotice, LOST_BUCKET_MS, lostWithin, NO_GAPS } from "./stream-gaps";

const T = Date.UTC(2026, 11, 6, 3, 4, 0);
const timeOf = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const FIVE_MIN = 5 * 60_000;
const at = (nowMs: number, windowMs = FIVE_MIN) => ({ nowMs, windowMs, timeOf });

describe("stream gaps", () => {
  it("says nothing without gaps, and a lost event of no flows is none", () => {
    assert.equal(gapsNotice(NO_GAPS, at(T)), undefined);
    assert.equal(addLost(NO_GAPS, "HUBBLE_RING_BUFFER", 0, T), NO_GAPS);
    assert.equal(addMissed(NO_GAPS, 0), NO_GAPS);
  });

  it("adds up lost flows by source and says the map's window counts only what arrived", () => {
    let g = addLost(NO_GAPS, "HUBBLE_RING_BUFFER", 1000, T + 5_000);
    g = addLost(g, "OBSERVER_EVENTS_QUEUE", 45, T + 60_000);
    g = addLost(g, "HUBBLE_RING_BUFFER", 11_300, T + 120_000);
    assert.equal(g.lost, 12_345);
    assert.deepEqual(g.lostBySource, { HUBBLE_RING_BUFFER: 12_300, OBSERVER_EVENTS_QUEUE: 45 });
    const n = gapsNotice(g, at(T + 130_000))!;
    assert.equal(n.text, "Hubble lost 12,345 flows in the last 5 min");
    const lines = n.details.split("\n");
    assert.equal(lines[0], "Hubble lost 12,345 flows in the last 5 min: the map and the Drops view count only the flows that arrived.");
    assert.equal(lines[1], "Lost since 03:04:05, when this view's first lost event came: 12,345 flows");
    assert.equal(lines[2], "HUBBLE_RING_BUFFER: 12,300 (a node's flow buffer was overwritten before it was read)");
    assert.equal(lines[3], "OBSERVER_EVENTS_QUEUE: 45 (a node's Hubble observer could not keep up)");
    assert.match(lines[4], /whatever its filters/);
  });

  it("a loss that left the map's window no longer counts against it", () => {
    let g = addLost(NO_GAPS, "HUBBLE_RING_BUFFER", 1000, T);
    g = addLost(g, "HUBBLE_RING_BUFFER", 7, T + 4 * 60_000);
    assert.equal(lostWithin(g, T + 4 * 60_000, FIVE_MIN), 1007);
    assert.equal(lostWithin(g, T + FIVE_MIN + LOST_BUCKET_MS, FIVE_MIN), 7);
    assert.match(gapsNotice(g, at(T + 6 * 60_000))!.text, /^Hubble lost 7 flows in the last 5 min/);
    assert.equal(gapsNotice(g, at(T + 10 * 60_000)), undefined, "nothing lost in the window");
    assert.match(gapsNotice(g, at(T + 10 * 60_000, 3_600_000))!.text, /^Hubble lost 1,007 flows in the last hour/);
    // The map's window is the span it covers so far: a minute after it started, a minute.
    const early = addLost(NO_GAPS, "HUBBLE_RING_BUFFER", 1000, T);
    assert.match(gapsNotice(early, at(T + 60_000, 60_000))!.text, /^Hubble lost 1,000 flows in the last minute/);
    assert.match(gapsNotice(early, at(T + 20_000, 20_000))!.text, /^Hubble lost 1,000 flows in the last 20 s/);
  });

  it("keeps a day of buckets at most", () => {
    let g = NO_GAPS;
    for (let i = 0; i < 9000; i++) g = addLost(g, "HUBBLE_RING_BUFFER", 1, T + i * LOST_BUCKET_MS);
    assert.equal(g.lostByTime.length, 8640);
    assert.equal(g.lost, 9000, "the total since the view opened stays exact");
  });

  it("an unknown source is counted and named as it came", () => {
    const n = gapsNotice(addLost(NO_GAPS, "42", 7, T), at(T))!;
    assert.match(n.details, /^42: 7 \(an unknown source\)$/m);
  });

  it("flows this page missed are the table's, not the map's", () => {
    const n = gapsNotice(addMissed(addMissed(NO_GAPS, 500), 734), at(T))!;
    assert.equal(n.text, "This page missed 1,234 flows of the table");
    assert.match(n.details, /^This page missed 1,234 flows of the table: it read the stream too slowly\. The map and the Drops view, counted on the server, still hold them\.$/);
    const both = gapsNotice(addMissed(addLost(NO_GAPS, "PERF_EVENT_RING_BUFFER", 3, T), 2), at(T))!;
    assert.equal(both.text, "Hubble lost 3 flows in the last 5 min; this page missed 2 flows of the table");
  });
});
