import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { LostEventSource } from "@/proto/gen/flow/flow_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { timestampToNs, type EpochNs } from "@/lib/timestamp";
import { captureDir, flowLine, isNonDecreasing, nodeStatusesOf, openGetFlows, type RelayUnderTest, startRelayWithClient, timesOf, uuidFor, waitUntil } from "./test-support";

// Follow mode over real gRPC, with a looping replay driven by a clock the test moves: the first
// pass is in the rings at start (ending "now"), the next pass starts one second after it. Moving
// the clock past that second makes exactly one more pass arrive, so every assertion is exact.

const S = 1_000_000_000n;
const START_NS: EpochNs = 1_750_000_000n * S;

function fakeClock() {
  let nowNs = START_NS;
  return { now: () => nowNs, advance: (ns: bigint) => (nowNs += ns) };
}

/** Two nodes, five flows each, 20 ms apart. */
function twoNodeLoop(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 10; i++) {
    const node = i % 2 === 0 ? "a" : "b";
    lines.push(flowLine({ node, t: i * 0.02, uuid: uuidFor(node, i) }));
  }
  return lines;
}

describe("GetFlows follow mode, on a looping replay", () => {
  const dir = captureDir();
  const loopFile = dir.write("two-nodes.jsonl", twoNodeLoop());
  const originalUuids = new Set(twoNodeLoop().map((l) => (l.flow as { uuid: string }).uuid));
  const running: RelayUnderTest[] = [];
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    dir.cleanup();
  });

  async function relay(opts: { bufferCapacity?: number; file?: string } = {}) {
    const clock = fakeClock();
    const t = await startRelayWithClient({ replay: opts.file ?? loopFile, loop: true, now: clock.now, bufferCapacity: opts.bufferCapacity });
    running.push(t);
    return { ...t, clock };
  }

  it("follow with number=0 gets only flows that arrive after the call", async () => {
    const t = await relay();
    const s = openGetFlows(t.client, { follow: true });
    try {
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to wait for new flows");
      await waitUntil(() => s.received.length > 0, "NODE_CONNECTED");
      assert.equal(nodeStatusesOf(s.received)[0]?.stateChange, NodeState.NODE_CONNECTED);
      assert.equal(s.flows().length, 0, "no history");

      t.clock.advance(1500_000_000n); // the second pass is due
      await waitUntil(() => s.flows().length >= 10, "the second pass");
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to catch up");
      const flows = s.flows();
      assert.equal(flows.length, 10);
      assert.ok(
        flows.every((f) => !originalUuids.has(f.uuid)),
        "a later pass has fresh uuids",
      );
      assert.equal(new Set(flows.map((f) => f.uuid)).size, 10);
      assert.ok(
        flows.every((f) => timestampToNs(f.time) > START_NS),
        "times after the call started",
      );
      assert.ok(isNonDecreasing(timesOf(s.received.slice(1))));
    } finally {
      s.call.cancel();
    }
  });

  it("follow with number=N gets the last N per node, then keeps streaming", async () => {
    const t = await relay();
    const s = openGetFlows(t.client, { follow: true, number: 2n });
    try {
      await waitUntil(() => s.flows().length === 4, "the history part");
      assert.deepEqual(
        s.flows().map((f) => f.uuid),
        [6, 7, 8, 9].map((i) => uuidFor(i % 2 === 0 ? "a" : "b", i)),
        "two per node, oldest first",
      );
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to wait for new flows");
      t.clock.advance(1500_000_000n);
      await waitUntil(() => s.flows().length >= 14, "the second pass: number does not cap follow");
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to catch up");
      assert.equal(s.flows().length, 14);
      assert.ok(
        s
          .flows()
          .slice(4)
          .every((f) => !originalUuids.has(f.uuid)),
      );
    } finally {
      s.call.cancel();
    }
  });

  it("cancelling a follow call stops the server's work for it", async () => {
    const t = await relay();
    const s = openGetFlows(t.client, { follow: true });
    await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to wait for new flows");
    s.call.cancel();
    await waitUntil(() => s.status() !== undefined, "the call to finish");
    assert.equal(s.status()?.code, grpc.status.CANCELLED);
    await waitUntil(() => t.relay.cluster.waitingReaders === 0, "the server to drop the reader");
    // And nothing is written for it any more.
    t.clock.advance(1500_000_000n);
    await waitUntil(() => t.relay.cluster.nodes[0].ring.writeSeq > 5, "the second pass to arrive");
    assert.equal(t.relay.cluster.waitingReaders, 0);
  });

  it("a follower the ring overtook gets a HUBBLE_RING_BUFFER lost event per node", async () => {
    // 20 flows per node with one timestamp: the second pass lands in one append, 13 more than a
    // ring of 7 holds, before the follower reads again.
    const burst: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 40; i++) {
      const node = i % 2 === 0 ? "a" : "b";
      burst.push(flowLine({ node, t: 0, uuid: uuidFor(node, i) }));
    }
    const t = await relay({ bufferCapacity: 7, file: dir.write("burst.jsonl", burst) });
    const s = openGetFlows(t.client, { follow: true });
    try {
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to wait for new flows");
      t.clock.advance(1500_000_000n);
      await waitUntil(() => s.received.length >= 1 + 14 + 2, "7 flows and a lost event per node");
      const lost = s.received.filter((r) => r.responseTypes.case === "lostEvents");
      assert.deepEqual(lost.map((r) => r.nodeName).sort(), ["a", "b"]);
      for (const r of lost) {
        if (r.responseTypes.case !== "lostEvents") continue;
        assert.equal(r.responseTypes.value.source, LostEventSource.HUBBLE_RING_BUFFER);
        assert.equal(r.responseTypes.value.numEventsLost, 13n);
        assert.ok(timestampToNs(r.time) > 0n, "stamped with the detection time");
      }
      const flows = s.flows();
      assert.equal(flows.filter((f) => f.nodeName === "a").length, 7);
      assert.equal(flows.filter((f) => f.nodeName === "b").length, 7);
    } finally {
      s.call.cancel();
    }
  });
});
