// The FlowFollower's promise, over real gRPC: the relay goes away mid-stream and comes back on the
// same port (same seed and simulation epoch, so the same flows with the same uuids); the follower
// reconnects, and what the consumer got has no gap and no duplicate compared with what a fresh
// non-follow GetFlows over the same time range returns.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { type EpochNs, msToNs, nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import { type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { FlowFollower, type FollowerState } from "./flow-follower";
import { ThreadedFlowSource } from "./follow-thread";
import { type RelayConnection, RelayClient } from "./relay-client";
import { waitUntil } from "@/lib/testing/wait";

const SEED = 11;
const RATE = 150;

function flowTimeNs(r: GetFlowsResponse): EpochNs {
  return r.responseTypes.case === "flow" ? timestampToNs(r.responseTypes.value.time) : 0n;
}

function uuidOf(r: GetFlowsResponse): string {
  return r.responseTypes.case === "flow" ? r.responseTypes.value.uuid : "";
}

/** The follower's two sources: the RelayClient itself, and the follow thread (the live views'). */
const SOURCES: [string, (conn: RelayConnection) => { source: RelayClient | ThreadedFlowSource; close(): void | Promise<void> }][] = [
  [
    "a RelayClient",
    (conn) => {
      const client = new RelayClient(conn);
      return { source: client, close: () => client.close() };
    },
  ],
  [
    "the follow thread",
    (conn) => {
      const source = new ThreadedFlowSource(conn);
      return { source, close: () => source.close() };
    },
  ],
];

for (const [sourceName, makeSource] of SOURCES)
  describe(`FlowFollower across a relay restart, reading from ${sourceName}`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("reconnects and delivers every flow exactly once", async () => {
      const epochNs = msToNs(Date.now() - 5_000);
      const options = { seed: SEED, rate: RATE, epochNs };
      let relay: RunningDemoRelay = await startDemoRelay({ port: 0, ...options });
      cleanups.push(() => relay.close());
      const { port } = relay;

      const client = makeSource({ address: relay.address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
      cleanups.push(() => client.close());

      const received: GetFlowsResponse[] = [];
      const states: FollowerState[] = [];
      const follower = new FlowFollower({
        source: client.source,
        // History from the simulation's start, so the whole run can be compared.
        request: { since: epochNs },
        onResponse: (r) => void received.push(r),
        backoff: { baseMs: 100, capMs: 400 },
      });
      follower.onStateChange((s) => states.push(s));
      cleanups.push(() => follower.stop());
      follower.start();

      const flows = () => received.filter((r) => r.responseTypes.case === "flow");
      const newestReceived = () => flows().reduce((max, r) => (flowTimeNs(r) > max ? flowTimeNs(r) : max), 0n);

      // Live, with history and some live flows.
      await waitUntil(() => follower.state.kind === "live" && newestReceived() > msToNs(Date.now() - 300), "live flows");
      const beforeRestart = flows().length;

      // The relay goes away mid-stream...
      await relay.close();
      await waitUntil(() => follower.state.kind === "reconnecting", "reconnecting");
      const downAtNs = msToNs(Date.now());
      // ...stays away for a few backoff rounds, then comes back on the same port.
      await waitUntil(() => states.filter((s) => s.kind === "reconnecting").length >= 2, "a second retry");
      relay = await startDemoRelay({ port, ...options });

      // Reconnected, and caught up past the outage by a margin.
      await waitUntil(() => follower.state.kind === "live" && newestReceived() > downAtNs + msToNs(1_500), "live again past the outage", 10_000);
      await follower.stop();

      const kinds = states.map((s) => s.kind);
      assert.deepEqual(kinds.slice(0, 2), ["connecting", "live"]);
      assert.ok(kinds.includes("reconnecting"));
      assert.equal(kinds.at(-1), "live");
      assert.ok(flows().length > beforeRestart);

      // The consumer saw NODE_CONNECTED first, once per connection.
      assert.equal(received[0].responseTypes.case, "nodeStatus");
      const connectedEvents = received.filter((r) => r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === NodeState.NODE_CONNECTED);
      assert.equal(connectedEvents.length, follower.stats.connects);

      // Compare with a fresh non-follow query over [epoch, cutoff]. The cutoff stays clear of the
      // newest flows, which other nodes may not have sent yet when the follower stopped.
      const cutoffNs = newestReceived() - msToNs(500);
      const got = flows()
        .filter((r) => flowTimeNs(r) <= cutoffNs)
        .map(uuidOf);
      assert.equal(new Set(got).size, got.length, "no duplicate");
      assert.ok(
        got.every((u) => u.length > 0),
        "the demo relay sets uuids",
      );

      const reference: string[] = [];
      const fresh = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
      cleanups.push(() => fresh.close());
      const request = create(GetFlowsRequestSchema, { since: nsToTimestamp(epochNs), until: nsToTimestamp(cutoffNs) });
      for await (const r of fresh.getFlows(request)) {
        if (r.responseTypes.case === "flow") reference.push(uuidOf(r));
      }
      assert.ok(reference.length > 100, `reference has ${reference.length} flows`);
      const gotSet = new Set(got);
      const referenceSet = new Set(reference);
      const missing = reference.filter((u) => !gotSet.has(u));
      const extra = got.filter((u) => !referenceSet.has(u));
      assert.deepEqual(missing, [], "no gap");
      assert.deepEqual(extra, [], "nothing that is not in the relay");
      assert.ok(follower.stats.duplicatesDropped > 0, "the overlap was sent again and dropped");
    });
  });
