import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSource } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { nsToTimestamp } from "@/lib/timestamp";
import { DemoCluster } from "./cluster";
import { type ResponseSink, serveGetFlows } from "./flow-stream";
import { at, flowsOf, T0_NS, uuidsOf, waitUntil } from "./test-support";

// serveGetFlows driven directly, with a sink the test controls: this makes "the client stopped
// reading" and "the client went away" exact, which a real transport's buffers would blur.

const RELAY = "test-relay";

/** A sink that records responses and can hold every write until released, like a client not reading. */
class GatedSink implements ResponseSink {
  readonly received: GetFlowsResponse[] = [];
  readonly controller = new AbortController();
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  /** Writes waiting at the gate. */
  blocked = 0;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  close(): void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  open(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  async write(response: GetFlowsResponse | Uint8Array): Promise<void> {
    this.received.push(response instanceof Uint8Array ? fromBinary(GetFlowsResponseSchema, response) : response);
    const gate = this.gate;
    if (gate) {
      this.blocked++;
      await gate.promise;
      this.blocked--;
    }
  }
}

function flowEvent(node: string, t: number, uuid: string) {
  const time = nsToTimestamp(at(t));
  const flow = create(FlowSchema, { time, uuid, nodeName: node });
  return { nodeName: node, response: create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: node, time }) };
}

function clusterWith(capacity: number, nodes: string[], flowsPerNode: number): DemoCluster {
  const cluster = new DemoCluster(capacity, () => T0_NS);
  for (const n of nodes) cluster.addNode({ name: n, address: "" });
  for (let i = 0; i < flowsPerNode; i++) cluster.append(nodes.map((n) => flowEvent(n, i, `${n}-${i}`)));
  return cluster;
}

function request(init: Parameters<typeof create<typeof GetFlowsRequestSchema>>[1]): GetFlowsRequest {
  return create(GetFlowsRequestSchema, init);
}

describe("serveGetFlows in follow mode", () => {
  it("a reader the ring overtook gets a HUBBLE_RING_BUFFER lost event counting what it missed", async () => {
    const cluster = clusterWith(7, ["a"], 3);
    const sink = new GatedSink();
    const served = serveGetFlows(cluster, RELAY, request({ follow: true }), sink, () => T0_NS);
    await waitUntil(() => cluster.waitingReaders === 1, "the stream to wait for new flows");

    // The client stops reading: the next write blocks, and the ring moves on 20 entries meanwhile.
    sink.close();
    cluster.append([flowEvent("a", 10, "a-10")]);
    await waitUntil(() => sink.blocked === 1, "the write of a-10 to block");
    for (let i = 11; i <= 30; i++) cluster.append([flowEvent("a", i, `a-${i}`)]);
    sink.open();
    await waitUntil(() => flowsOf(sink.received).length === 8, "the newest 7 flows after a-10");

    const kinds = sink.received.map((r) => r.responseTypes.case);
    assert.deepEqual(kinds, ["nodeStatus", "flow", "lostEvents", ...Array(7).fill("flow")]);
    const lost = sink.received[2];
    assert.equal(lost.responseTypes.case, "lostEvents");
    if (lost.responseTypes.case === "lostEvents") {
      assert.equal(lost.responseTypes.value.source, LostEventSource.HUBBLE_RING_BUFFER);
      // 20 written after a-10 into a ring of 7: the reader missed 13.
      assert.equal(lost.responseTypes.value.numEventsLost, 13n);
    }
    assert.equal(lost.nodeName, "a");
    assert.deepEqual(uuidsOf(sink.received), ["a-10", ...Array.from({ length: 7 }, (_, i) => `a-${24 + i}`)]);

    sink.controller.abort();
    await served;
  });

  it("stops promptly when the client goes away, leaving no reader waiting", async () => {
    const cluster = clusterWith(7, ["a", "b"], 2);
    const sink = new GatedSink();
    const served = serveGetFlows(cluster, RELAY, request({ follow: true, number: 1n }), sink, () => T0_NS);
    await waitUntil(() => cluster.waitingReaders === 1, "the stream to wait for new flows");
    assert.deepEqual(uuidsOf(sink.received), ["a-1", "b-1"]);

    sink.controller.abort();
    await served;
    assert.equal(cluster.waitingReaders, 0, "the aborted reader left the wait queue");
    cluster.append([flowEvent("a", 5, "a-5")]);
    assert.deepEqual(uuidsOf(sink.received), ["a-1", "b-1"], "nothing written after abort");
  });

  it("ends a follow stream once every node passed until", async () => {
    const cluster = clusterWith(7, ["a", "b"], 2);
    const sink = new GatedSink();
    const served = serveGetFlows(cluster, RELAY, request({ follow: true, until: nsToTimestamp(at(5)) }), sink, () => T0_NS);
    await waitUntil(() => cluster.waitingReaders === 1, "the stream to wait for new flows");
    cluster.append([flowEvent("a", 3, "a-3"), flowEvent("b", 4, "b-4")]);
    cluster.append([flowEvent("a", 6, "a-6"), flowEvent("b", 7, "b-7")]);
    await served; // resolves on its own: both nodes saw a flow after until
    assert.deepEqual(uuidsOf(sink.received), ["a-3", "b-4"]);
  });
});

describe("serveGetFlows status events", () => {
  it("starts with NODE_CONNECTED from the relay, listing every node", async () => {
    const cluster = clusterWith(7, ["a", "b", "c"], 1);
    const sink = new GatedSink();
    await serveGetFlows(cluster, RELAY, request({}), sink, () => T0_NS);
    const first = sink.received[0];
    assert.equal(first.responseTypes.case, "nodeStatus");
    if (first.responseTypes.case === "nodeStatus") {
      assert.equal(first.responseTypes.value.stateChange, NodeState.NODE_CONNECTED);
      assert.deepEqual(first.responseTypes.value.nodeNames, ["a", "b", "c"]);
    }
    assert.equal(first.nodeName, RELAY);
    assert.deepEqual(uuidsOf(sink.received), ["a-0", "b-0", "c-0"]);
  });
});
