import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeEvent, SseParser, type StreamEvent } from "@/lib/sse";
import { Subscription } from "./subscription";

const utf8 = new TextEncoder();
const text = new TextDecoder();

function flowsFrame(name: string, n: number): Uint8Array {
  return utf8.encode(encodeEvent({ type: "flows", flows: Array.from({ length: n }, (_, i) => ({ uuid: `${name}.${i}` })) }));
}

/** Reads until the subscription is closed and drained. */
async function readAll(sub: Subscription): Promise<string[]> {
  const parser = new SseParser();
  const events: StreamEvent[] = [];
  for (let frame = await sub.next(); frame !== undefined; frame = await sub.next()) events.push(...parser.push(text.decode(frame)));
  return events.map((e) => (e.type === "flows" ? String(e.flows[0].uuid).split(".")[0] : e.type === "missed" ? `missed ${e.count}` : e.type));
}

describe("Subscription queue", () => {
  it("holds at most maxQueuedBytes of flow frames for a reader that stopped: the oldest go first, counted", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 10_000, maxQueuedBytes: 64 * 1024 });
    let sent = 0;
    for (let i = 0; i < 1000; i++) {
      sub.sendFlowsFrame(flowsFrame(`f${i}`, 20), 20);
      sent += 20;
      assert.ok(sub.queuedBytes <= 64 * 1024, `queue within its bytes after frame ${i} (${sub.queuedBytes})`);
    }
    sub.close();
    const read = await readAll(sub);
    const kept = read.filter((e) => e.startsWith("f")).length * 20;
    assert.equal(kept + sub.missedTotal, sent, "every flow is either delivered or counted as missed");
    assert.ok(sub.missedTotal > 0);
    assert.equal(read.at(-1), "f999", "the newest frame is kept");
  });

  it("a map, drops or sampling frame supersedes the unread one of its kind; a map delta becomes the full frame", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 10 });
    const ev = (type: "drops" | "sampling", n: number) =>
      utf8.encode(
        encodeEvent(
          type === "drops"
            ? { type, groups: { total: n, unattributed: 0, byPolicy: [], byReason: [], byNamespacePair: [], window: { startMs: 0, endMs: 0 } } }
            : { type, account: { budget: n, seen: { priority: 0, forwarded: 0 }, sent: { priority: 0, forwarded: 0 } } },
        ),
      );
    sub.sendLatest("drops", ev("drops", 1));
    sub.sendLatest("sampling", ev("sampling", 1));
    sub.sendLatest("drops", ev("drops", 2));
    sub.sendLatest("drops", ev("drops", 3), () => ev("drops", 99));
    sub.close();
    const parser = new SseParser();
    const events: StreamEvent[] = [];
    for (let f = await sub.next(); f; f = await sub.next()) events.push(...parser.push(text.decode(f)));
    assert.deepEqual(
      events.map((e) => (e.type === "drops" ? `drops ${e.groups.total}` : e.type === "sampling" ? `sampling ${e.account.budget}` : e.type)),
      ["drops 99", "sampling 1"],
    );
  });

  it("drops the oldest flow frames beyond the limit and puts one missed event where they were", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 2 });
    sub.send({ type: "ready", command: "", follow: true });
    for (const [name, n] of [
      ["a", 3],
      ["b", 4],
      ["c", 1],
      ["d", 1],
    ] as const)
      sub.sendFlowsFrame(flowsFrame(name, n), n);
    sub.send({ type: "end", reason: "complete" });
    sub.close();
    assert.equal(sub.missedTotal, 7);
    assert.deepEqual(await readAll(sub), ["ready", "missed 7", "c", "d", "end"]);
  });

  it("never drops control events; drops on either side of one get their own missed events", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 1 });
    sub.sendFlowsFrame(flowsFrame("a", 2), 2);
    sub.send({ type: "relay", state: { kind: "connecting", address: "x" } });
    sub.sendFlowsFrame(flowsFrame("b", 3), 3);
    sub.sendFlowsFrame(flowsFrame("c", 1), 1);
    sub.close();
    assert.deepEqual(await readAll(sub), ["missed 2", "relay", "missed 3", "c"]);
  });

  it("a reader that takes nothing for stalledReaderMs loses its queued flows, and new ones until it reads, to one missed account", async () => {
    let now = 0;
    const sub = new Subscription({ maxQueuedFlowFrames: 10_000, stalledReaderMs: 30_000, now: () => now });
    sub.send({ type: "ready", command: "", follow: true });
    sub.sendFlowsFrame(flowsFrame("a", 5), 5);
    now = 29_999;
    sub.sendFlowsFrame(flowsFrame("b", 5), 5);
    assert.equal(sub.missedTotal, 0, "within the bound nothing is dropped");
    now = 30_000;
    sub.sendFlowsFrame(flowsFrame("c", 2), 2);
    assert.equal(sub.queuedBytes, 0, "a stalled reader holds no flows");
    sub.sendFlowsFrame(flowsFrame("d", 3), 3);
    assert.equal(sub.missedTotal, 15);
    assert.equal(sub.queuedBytes, 0);
    // It resumes: the account comes first, then what arrives from then on.
    assert.ok(text.decode(await sub.next()).startsWith("event: ready"));
    assert.equal(sub.stalled, false, "a frame taken restarts the clock");
    sub.sendFlowsFrame(flowsFrame("e", 1), 1);
    now = 40_000;
    sub.sendFlowsFrame(flowsFrame("f", 1), 1);
    sub.close();
    assert.deepEqual(await readAll(sub), ["missed 15", "e", "f"]);
    assert.equal(sub.missedTotal, 15);
  });

  it("a reader that keeps taking frames is never stalled, however long the stream runs", async () => {
    let now = 0;
    const sub = new Subscription({ maxQueuedFlowFrames: 10_000, stalledReaderMs: 1000, now: () => now });
    for (let i = 0; i < 100; i++) {
      sub.sendFlowsFrame(flowsFrame(`f${i}`, 1), 1);
      sub.sendFlowsFrame(flowsFrame(`g${i}`, 1), 1);
      now += 900;
      await sub.next();
      now += 900;
      await sub.next();
    }
    assert.equal(sub.missedTotal, 0);
  });

  it("a frame read in time is not missed", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 1 });
    sub.sendFlowsFrame(flowsFrame("a", 1), 1);
    assert.ok(text.decode(await sub.next()).includes("a.0"));
    sub.sendFlowsFrame(flowsFrame("b", 1), 1);
    sub.close();
    assert.deepEqual(await readAll(sub), ["b"]);
    assert.equal(sub.missedTotal, 0);
  });

  it("a waiting reader wakes for the next frame, and gets undefined after close", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 4 });
    const waiting = sub.next();
    sub.send({ type: "missed", count: 1 });
    assert.ok(text.decode(await waiting).startsWith("event: missed"));
    const ended = sub.next();
    sub.close();
    assert.equal(await ended, undefined);
  });

  it("a flows frame goes out as the very bytes queued (shared by subscribers, never copied)", async () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 4 });
    const frame = flowsFrame("a", 1);
    sub.sendFlowsFrame(frame, 1);
    assert.equal(await sub.next(), frame);
  });

  it("nothing is queued after close, and close callbacks run once", () => {
    const sub = new Subscription({ maxQueuedFlowFrames: 4 });
    let calls = 0;
    sub.whenClosed(() => calls++);
    sub.close();
    sub.close();
    sub.whenClosed(() => calls++);
    assert.equal(calls, 2);
    sub.sendFlowsFrame(flowsFrame("a", 1), 1);
    sub.send({ type: "end", reason: "complete" });
    return sub.next().then((f) => assert.equal(f, undefined));
  });
});
