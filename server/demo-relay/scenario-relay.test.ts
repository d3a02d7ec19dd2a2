import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  GetNamespacesRequestSchema,
  type GetNamespacesResponse,
  GetNodesRequestSchema,
  type GetNodesResponse,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { timestampToNs, type EpochNs } from "@/lib/timestamp";
import { flowsOf, getFlows, isNonDecreasing, nodeStatusesOf, openGetFlows, type RelayUnderTest, startRelayWithClient, timesOf, unary, waitUntil } from "./test-support";

// The relay over the traffic simulator, with a fixed seed, a fixed epoch and a clock the test
// moves: the same inputs give the same flows, and moving the clock is the only way new ones come.

const S = 1_000_000_000n;
const START_NS: EpochNs = 1_750_000_000n * S;
const EPOCH_NS: EpochNs = START_NS - 10n * S; // ten seconds of history at start
const CAPACITY = 255;

describe("the relay over a simulated scenario", () => {
  const running: RelayUnderTest[] = [];
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
  });

  async function relay(scenario: string) {
    let nowNs = START_NS;
    const t = await startRelayWithClient({
      scenario,
      seed: 7,
      rate: 50,
      epochNs: EPOCH_NS,
      bufferCapacity: CAPACITY,
      now: () => nowNs,
    });
    running.push(t);
    return { ...t, advance: (ns: bigint) => (nowNs += ns) };
  }

  it("the same scenario, seed, rate and epoch give the same history", async () => {
    const one = await relay("starwars");
    const two = await relay("starwars");
    const a = (await getFlows(one.client, { number: 0n })).slice(1).map(getFlowsResponseToJson);
    const b = (await getFlows(two.client, { number: 0n })).slice(1).map(getFlowsResponseToJson);
    assert.ok(a.length > 0, "ten seconds of history");
    assert.deepEqual(a, b);
  });

  it("GetFlows lists every node CONNECTED and merges their histories by time", async () => {
    const t = await relay("starwars");
    const responses = await getFlows(t.client, { number: 0n });
    const [status] = nodeStatusesOf(responses.slice(0, 1));
    assert.equal(status.stateChange, NodeState.NODE_CONNECTED);
    assert.deepEqual(status.nodeNames, t.relay.cluster.nodeNames);
    assert.equal(status.nodeNames.length, 3, "starwars has three nodes");
    assert.ok(isNonDecreasing(timesOf(responses.slice(1))));
    const history = responses.slice(1);
    assert.ok(history.every((r) => timestampToNs(r.time) > EPOCH_NS && timestampToNs(r.time) <= START_NS));
  });

  it("ServerStatus sums over nodes; GetNodes agrees node by node", async () => {
    const t = await relay("shop");
    const s = await unary<ServerStatusResponse>((cb) => t.client.serverStatus(create(ServerStatusRequestSchema), cb));
    const { nodes } = await unary<GetNodesResponse>((cb) => t.client.getNodes(create(GetNodesRequestSchema), cb));
    const n = t.relay.cluster.nodes.length;
    assert.ok(n > 0);
    assert.equal(s.numConnectedNodes, n);
    assert.equal(s.maxFlows, BigInt(n * CAPACITY));
    assert.ok(s.numFlows > 0n && s.numFlows <= s.maxFlows);
    assert.ok(s.seenFlows >= s.numFlows - BigInt(lostEventsIn(t)), "lost events sit in rings but are not seen flows");
    assert.deepEqual(
      nodes.map((x) => x.name),
      t.relay.cluster.nodeNames,
    );
    assert.ok(nodes.every((x) => x.state === NodeState.NODE_CONNECTED && x.maxFlows === BigInt(CAPACITY)));
    assert.equal(
      nodes.reduce((sum, x) => sum + x.numFlows, 0n),
      s.numFlows,
    );
    assert.equal(
      nodes.reduce((sum, x) => sum + x.seenFlows, 0n),
      s.seenFlows,
    );
  });

  it("GetNamespaces lists the namespaces of the simulated flows, sorted by cluster then namespace", async () => {
    const t = await relay("starwars");
    const { namespaces } = await unary<GetNamespacesResponse>((cb) => t.client.getNamespaces(create(GetNamespacesRequestSchema), cb));
    const seen = new Set<string>();
    for (const f of flowsOf(await getFlows(t.client, { number: 0n }))) {
      for (const ep of [f.source, f.destination]) if (ep?.namespace) seen.add(`${ep.clusterName}\u0000${ep.namespace}`);
    }
    const listed = namespaces.map((x) => `${x.cluster}\u0000${x.namespace}`);
    assert.deepEqual(listed, [...seen].sort());
    assert.ok(listed.some((k) => k.endsWith("\u0000default")));
  });

  it("follow with number=0 streams only flows newer than the call", async () => {
    const t = await relay("starwars");
    const s = openGetFlows(t.client, { follow: true });
    try {
      await waitUntil(() => t.relay.cluster.waitingReaders === 1, "the stream to wait for new flows");
      // A second at a time: a clock that jumps further is a stall, which the simulation skips (lost events).
      t.advance(S);
      await waitUntil(() => s.flows().length >= 10, "a second of new traffic at 50/s");
      t.advance(S);
      await waitUntil(() => s.flows().length >= 20, "two seconds of new traffic at 50/s");
      const times = timesOf(s.received.slice(1).filter((r) => r.responseTypes.case === "flow"));
      assert.ok(
        times.every((x) => x > START_NS && x <= START_NS + 2n * S),
        "only flows after the call",
      );
      assert.ok(isNonDecreasing(times));
    } finally {
      s.call.cancel();
    }
    await waitUntil(() => t.relay.cluster.waitingReaders === 0, "the server to drop the cancelled reader");
  });
});

function lostEventsIn(t: RelayUnderTest): number {
  let n = 0;
  for (const node of t.relay.cluster.nodes) {
    for (let seq = node.ring.oldestSeq; seq < node.ring.writeSeq; seq++) if (node.ring.at(seq)?.isLost) n++;
  }
  return n;
}
