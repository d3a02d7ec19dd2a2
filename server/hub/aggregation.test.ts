import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Verdict } from "@/proto/gen/flow/flow_pb";
import { attributeDrop } from "@/lib/drops";
import { applyMapFrame, type MapState } from "@/lib/service-map/wire";
import { SseParser, type StreamEvent } from "@/lib/sse";
import { ViewAggregation } from "./aggregation";
import { batchFlow } from "./batch";
import { Subscription } from "./subscription";
import { flowAt, flowResponse, T0_NS } from "./testing";

const T0_MS = Number(T0_NS / 1_000_000n);

function flowsAt(seconds: number, n: number, init: Parameters<typeof flowAt>[2] = {}) {
  return Array.from({ length: n }, (_, i) => batchFlow(flowResponse(flowAt(seconds + i / 1e4, `f${seconds}-${i}-${Math.random()}`, init))));
}

async function drain(sub: Subscription): Promise<StreamEvent[]> {
  const parser = new SseParser();
  const text = new TextDecoder();
  const out: StreamEvent[] = [];
  sub.close();
  for (let f = await sub.next(); f; f = await sub.next()) out.push(...parser.push(text.decode(f)));
  return out;
}

describe("ViewAggregation (the server's map and drops of one view)", () => {
  it("a sliding window counts flows by their own time and lets them go bucket by bucket, exactly", () => {
    let now = T0_MS + 10_000;
    const agg = new ViewAggregation({ kind: "sliding", ms: 30_000 }, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => now });
    agg.addFlows(flowsAt(5, 300));
    agg.addFlows(flowsAt(9, 200, { verdict: Verdict.DROPPED }));
    agg.tick();
    const total = () => agg.mapSnapshot()!.edges.reduce((n, e) => n + e.flows, 0);
    assert.equal(total(), 500);
    assert.equal(agg.dropGroups().total, 200);
    // 30 s later the flows of second 5 have left; those of second 9 too, 4 s after.
    now = T0_MS + 5_000 + 30_000 + agg.bucketMs;
    agg.tick();
    assert.equal(total(), 200, "second 5 left the window");
    assert.equal(agg.dropGroups().total, 200);
    now = T0_MS + 9_000 + 30_000 + agg.bucketMs;
    agg.tick();
    assert.equal(total(), 0);
    assert.equal(agg.dropGroups().total, 0);
    assert.equal(agg.mapSnapshot()!.nodes.length, 0, "nodes leave with their last flow");
  });

  it("a kind of flow in many buckets is one row: each bucket's count leaves with its bucket, the kind with its last, and the edge was last seen in the newest", () => {
    let now = T0_MS + 1_000;
    const agg = new ViewAggregation({ kind: "sliding", ms: 30_000 }, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => now });
    // The same kind of flow at 0 s, 10 s and 20 s: three buckets.
    for (const s of [0, 10, 20]) {
      now = T0_MS + s * 1000 + 500;
      agg.addFlows(flowsAt(s, 4));
      agg.tick();
    }
    assert.equal(agg.kindCount, 1, "one row for the kind, not one per bucket");
    const edge = () => agg.mapSnapshot()!.edges[0];
    assert.equal(edge().flows, 12);
    assert.ok(edge().lastSeenMs >= T0_MS + 20_000, `last seen in the newest bucket (${edge().lastSeenMs - T0_MS} ms)`);
    // The first bucket leaves: its 4 flows go, the kind stays for the others.
    now = T0_MS + 30_000 + agg.bucketMs;
    agg.tick();
    assert.equal(edge().flows, 8);
    assert.equal(agg.kindCount, 1);
    // All three left: no edge, no kind.
    now = T0_MS + 20_000 + 30_000 + agg.bucketMs;
    agg.tick();
    assert.equal(agg.mapSnapshot()!.edges.length, 0);
    assert.equal(agg.kindCount, 0);
  });

  it("ignores flows older than the window and counts them as outside", () => {
    const now = T0_MS + 100_000;
    const agg = new ViewAggregation({ kind: "sliding", ms: 10_000 }, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => now });
    agg.addFlows(flowsAt(50, 10));
    agg.addFlows(flowsAt(95, 7));
    agg.tick();
    assert.equal(agg.outside, 10);
    assert.equal(agg.counted, 7);
  });

  it("sends a viewer a full frame first, then deltas that rebuild the same map", async () => {
    let now = T0_MS + 10_000;
    const agg = new ViewAggregation({ kind: "sliding", ms: 60_000 }, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => now });
    const sub = new Subscription({ maxQueuedFlowFrames: 10 });
    const reader = (async () => {
      const parser = new SseParser();
      const text = new TextDecoder();
      const out: StreamEvent[] = [];
      for (let f = await sub.next(); f; f = await sub.next()) out.push(...parser.push(text.decode(f)));
      return out;
    })();
    agg.attach(sub);
    agg.addFlows(flowsAt(1, 5));
    agg.tick();
    await new Promise((r) => setImmediate(r));
    agg.addFlows(flowsAt(2, 5, { l4: { protocol: { case: "UDP", value: { sourcePort: 1, destinationPort: 53 } } } }));
    now += 1000;
    agg.tick();
    await new Promise((r) => setImmediate(r));
    sub.close();
    const events = await reader;
    const frames = events.flatMap((e) => (e.type === "map" ? [e.frame] : []));
    assert.ok(frames.length >= 2);
    assert.equal(frames[0].full, true);
    assert.equal(frames[1].full, false);
    let state: MapState | undefined;
    for (const f of frames) state = applyMapFrame(state, f);
    assert.deepEqual(
      state!.snapshot.edges.map((e) => [e.id, e.flows]),
      agg.mapSnapshot()!.edges.map((e) => [e.id, e.flows]),
    );
  });

  it("a reader that does not keep up holds one map frame, a full one, never a chain of deltas", async () => {
    let now = T0_MS + 10_000;
    const agg = new ViewAggregation({ kind: "sliding", ms: 60_000 }, "workload", { attribute: (_f, row) => attributeDrop(row, undefined), now: () => now });
    const sub = new Subscription({ maxQueuedFlowFrames: 10 });
    agg.attach(sub);
    for (let i = 1; i <= 20; i++) {
      agg.addFlows(flowsAt(i, 3));
      now += 500;
      agg.tick();
    }
    const events = await drain(sub);
    const maps = events.filter((e) => e.type === "map");
    assert.equal(maps.length, 1);
    assert.equal(maps[0].type === "map" && maps[0].frame.full, true);
    assert.equal(events.filter((e) => e.type === "drops").length, 1);
  });
});
