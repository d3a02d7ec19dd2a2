// The follow thread's FlowSource against the demo relay over real gRPC: the same responses as the
// RelayClient's, decoded the same; errors classified as the RelayClient's; cancellation; a reader
// that stops reading holds a bounded number of batches; close().
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { create } from "@bufbuild/protobuf";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { msToNs, nsToTimestamp } from "@/lib/timestamp";
import { type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { RelayError } from "./errors";
import { ThreadedFlowSource } from "./follow-thread";
import { MAX_BATCHES_IN_FLIGHT } from "./follow-thread-protocol";
import { RelayClient, type RelayResponse } from "./relay-client";

const connection = (address: string) => ({ address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
const text = new TextDecoder();

/** What a response is, to compare two sources: its kind, node, time, and a flow's uuid and JSON. */
function describeResponse(r: RelayResponse): string {
  // A node status's time is the call's own: only its kind and nodes compare.
  if (r.responseTypes.case === "nodeStatus") return `nodeStatus ${r.responseTypes.value.stateChange} ${[...r.responseTypes.value.nodeNames].sort()}`;
  const head = `${r.responseTypes.case} ${r.nodeName} ${r.time?.seconds}.${r.time?.nanos}`;
  if (r.responseTypes.case !== "flow") return head;
  return `${head} ${r.wire?.uuid} ${r.wire?.json ? text.decode(r.wire.json) : "-"}`;
}

async function collect(source: { getFlowBatches(req: GetFlowsRequest): AsyncIterable<readonly RelayResponse[]> }, req: GetFlowsRequest): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of source.getFlowBatches(req)) for (const r of batch) out.push(describeResponse(r));
  return out;
}

describe("ThreadedFlowSource", () => {
  let relay: RunningDemoRelay;
  let client: RelayClient;
  let threaded: ThreadedFlowSource;
  before(async () => {
    relay = await startDemoRelay({ port: 0, seed: 5, rate: 400, epochNs: msToNs(Date.now() - 20_000) });
    client = new RelayClient(connection(relay.address));
    threaded = new ThreadedFlowSource(connection(relay.address));
  });
  after(async () => {
    await threaded.close();
    client.close();
    await relay.close();
  });

  /** A past window: what the relay holds of it does not change between calls. */
  const pastWindow = () => {
    const nowNs = msToNs(Date.now());
    return create(GetFlowsRequestSchema, { since: nsToTimestamp(nowNs - msToNs(19_000)), until: nsToTimestamp(nowNs - msToNs(2_000)) });
  };

  it("yields the same responses as the RelayClient, each flow with the same wire record and JSON", async () => {
    const req = pastWindow();
    const direct = await collect(client, req);
    const viaThread = await collect(threaded, req);
    assert.ok(direct.length > 2000, `${direct.length} responses`);
    assert.deepEqual(viaThread, direct);
    assert.equal(threaded.openStreams, 0);
  });

  it("follows: onConnected, then flows newer than the call", async () => {
    let connected = false;
    const startedNs = msToNs(Date.now());
    const abort = new AbortController();
    const flowTimes: bigint[] = [];
    await assert.rejects(async () => {
      for await (const batch of threaded.getFlowBatches(create(GetFlowsRequestSchema, { follow: true }), { signal: abort.signal, onConnected: () => (connected = true) })) {
        for (const r of batch) if (r.responseTypes.case === "flow" && r.time) flowTimes.push(BigInt(r.time.seconds) * 1_000_000_000n + BigInt(r.time.nanos));
        if (flowTimes.length >= 50) abort.abort(new Error("enough"));
      }
    }, /enough/);
    assert.ok(connected);
    assert.ok(flowTimes.every((t) => t > startedNs - msToNs(500)));
    assert.equal(threaded.openStreams, 0);
  });

  it("a reader that stops reading holds at most a few batches; nothing is lost when it reads again", async () => {
    const req = pastWindow();
    const direct = await collect(client, req);
    const got: string[] = [];
    let mostQueued = 0;
    let first = true;
    for await (const batch of threaded.getFlowBatches(req)) {
      if (first) {
        first = false;
        // Busy for a while: the follow thread sends what it may and then waits.
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      mostQueued = Math.max(mostQueued, threaded.queuedMessages);
      for (const r of batch) got.push(describeResponse(r));
    }
    assert.ok(mostQueued > 0, "the thread sent ahead");
    // The batches in flight, and the end (or a connected notice) behind them.
    assert.ok(mostQueued <= MAX_BATCHES_IN_FLIGHT + 2, `${mostQueued} messages queued`);
    assert.deepEqual(got, direct);
  });

  it("an unreachable relay fails as the RelayClient does: relay_unreachable, retryable", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const nowhere = new ThreadedFlowSource(connection(`127.0.0.1:${port}`));
    try {
      const err = await collect(nowhere, create(GetFlowsRequestSchema, { follow: true })).then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RelayError, `got ${err}`);
      assert.equal(err.code, "relay_unreachable");
      assert.equal(err.retryable, true);
    } finally {
      await nowhere.close();
    }
  });

  it("close() ends a stream in progress with an error", async () => {
    const source = new ThreadedFlowSource(connection(relay.address));
    let flows = 0;
    const reading = (async () => {
      for await (const batch of source.getFlowBatches(create(GetFlowsRequestSchema, { follow: true }))) flows += batch.length;
    })();
    const ended = reading.then(
      () => "ended without an error",
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    while (flows === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await source.close();
    assert.match(await ended, /closed/);
    await assert.rejects(collect(source, pastWindow()), /closed/);
  });
});
