// RelayClient over real gRPC against the embedded demo relay: every RPC, stream cancellation,
// and how connection failures come out classified.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { msToNs, nsToTimestamp, timestampToNs } from "@/lib/timestamp";
import { type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { RelayError } from "./errors";
import { RelayClient } from "./relay-client";

const connection = (address: string) => ({ address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });

async function collect(stream: AsyncIterable<GetFlowsResponse>, limit = Infinity): Promise<GetFlowsResponse[]> {
  const out: GetFlowsResponse[] = [];
  for await (const response of stream) {
    out.push(response);
    if (out.length >= limit) break;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RelayError, `expected RelayError, got ${err}`);
    return err;
  }
  assert.fail("expected a rejection");
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("RelayClient against the demo relay", () => {
  let relay: RunningDemoRelay;
  let client: RelayClient;

  before(async () => {
    relay = await startDemoRelay({ port: 0, seed: 7, rate: 200, epochNs: msToNs(Date.now() - 20_000) });
    client = new RelayClient(connection(relay.address));
  });
  after(async () => {
    client.close();
    await relay.close();
  });

  it("ServerStatus sums the nodes' rings", async () => {
    const status = await client.serverStatus();
    const nodes = relay.cluster.nodes.length;
    assert.ok(nodes > 0);
    assert.equal(status.numConnectedNodes, nodes);
    assert.equal(status.maxFlows, BigInt(nodes * 4095));
    assert.ok(status.seenFlows > 0n);
    assert.ok(status.version.length > 0);
  });

  it("GetNodes lists every node as connected", async () => {
    const { nodes } = await client.getNodes();
    assert.deepEqual(nodes.map((n) => n.name).sort(), [...relay.cluster.nodeNames].sort());
    for (const node of nodes) assert.equal(node.state, NodeState.NODE_CONNECTED);
  });

  it("GetNamespaces lists recent namespaces, sorted", async () => {
    const { namespaces } = await client.getNamespaces();
    assert.ok(namespaces.length > 0);
    const names = namespaces.map((n) => `${n.cluster}/${n.namespace}`);
    assert.deepEqual(names, [...names].sort());
  });

  it("GetFlows number=N without follow: NODE_CONNECTED first, then up to N flows per node, then the end", async () => {
    const responses = await collect(client.getFlows(create(GetFlowsRequestSchema, { number: 5n })));
    const [first, ...rest] = responses;
    assert.equal(first.responseTypes.case, "nodeStatus");
    assert.ok(first.responseTypes.case === "nodeStatus");
    assert.equal(first.responseTypes.value.stateChange, NodeState.NODE_CONNECTED);
    assert.deepEqual([...first.responseTypes.value.nodeNames].sort(), [...relay.cluster.nodeNames].sort());
    const flows = rest.filter((r) => r.responseTypes.case === "flow");
    const perNode = new Map<string, number>();
    for (const f of flows) perNode.set(f.nodeName, (perNode.get(f.nodeName) ?? 0) + 1);
    for (const [node, count] of perNode) assert.ok(count <= 5, `${node}: ${count}`);
    assert.ok(flows.length > 5, "more than N in total: N counts per node");
    assert.ok(flows.length <= 5 * relay.cluster.nodes.length);
  });

  it("GetFlows follow: node status first, then flows newer than the call", async () => {
    const startedNs = msToNs(Date.now());
    const responses = await collect(client.getFlows(create(GetFlowsRequestSchema, { follow: true })), 20);
    assert.equal(responses[0].responseTypes.case, "nodeStatus");
    const flows = responses.filter((r) => r.responseTypes.case === "flow");
    assert.ok(flows.length > 0);
    // The demo relay's clock and ours are the same clock; allow one simulation tick of slack.
    for (const f of flows) assert.ok(timestampToNs(f.time) > startedNs - msToNs(500));
  });

  it("GetFlows in batches: the same responses in the same order as one by one; a consumer that stops asking pauses the call", async () => {
    // A past window: what the relay holds of it does not change between the two calls.
    const nowNs = msToNs(Date.now());
    const req = create(GetFlowsRequestSchema, { since: nsToTimestamp(nowNs - msToNs(19_000)), until: nsToTimestamp(nowNs - msToNs(2_000)) });
    const keyOf = (r: GetFlowsResponse) => (r.responseTypes.case === "flow" ? r.responseTypes.value.uuid : String(r.responseTypes.case));
    const oneByOne = (await collect(client.getFlows(req))).map(keyOf);
    assert.ok(oneByOne.length > 2000, `${oneByOne.length} responses`);
    const batches: number[] = [];
    const flattened: string[] = [];
    for await (const batch of client.getFlowBatches(req)) {
      if (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 300)); // the consumer busy: the relay's answer waits
      batches.push(batch.length);
      flattened.push(...batch.map(keyOf));
    }
    assert.deepEqual(flattened, oneByOne);
    assert.ok(batches.length >= 2, `${batches}`);
    // 1,024 buffered, then the call pauses; the stream's own buffer holds a few more.
    assert.ok(Math.max(...batches) <= 1024 + 32, `batches of ${batches}`);
  });

  it("GetFlows in batches: a consumer always waiting still takes what one read of the socket brings as one batch", async () => {
    const nowNs = msToNs(Date.now());
    const req = create(GetFlowsRequestSchema, { since: nsToTimestamp(nowNs - msToNs(19_000)), until: nsToTimestamp(nowNs - msToNs(2_000)) });
    let responses = 0;
    let batches = 0;
    for await (const batch of client.getFlowBatches(req)) {
      batches++;
      responses += batch.length;
    }
    assert.ok(responses > 2000, `${responses} responses`);
    // Woken once per message, the consumer would take batches of one.
    assert.ok(responses / batches > 8, `${responses} responses in ${batches} batches`);
  });

  it("onConnected fires when the relay answers", async () => {
    let connected = false;
    await collect(client.getFlows(create(GetFlowsRequestSchema, { number: 1n }), { onConnected: () => (connected = true) }));
    assert.equal(connected, true);
  });

  it("aborting the signal cancels a follow stream; the iteration throws the abort reason", async () => {
    const abort = new AbortController();
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of client.getFlows(create(GetFlowsRequestSchema, { follow: true }), { signal: abort.signal })) {
          if (++received === 3) abort.abort(new Error("enough"));
        }
      })(),
      /enough/,
    );
  });

  it("a bad filter comes back in-stream as NODE_ERROR, like through Hubble Relay", async () => {
    const responses = await collect(client.getFlows(create(GetFlowsRequestSchema, { number: 1n, whitelist: [{ sourceIp: ["not-an-ip"] }] })));
    const errors = responses.filter((r) => r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === NodeState.NODE_ERROR);
    assert.equal(errors.length, 1);
  });
});

describe("RelayClient failures", () => {
  it("nothing listening: relay_unreachable, retryable, for streams and unary calls", async () => {
    const client = new RelayClient(connection(`127.0.0.1:${await closedPort()}`));
    try {
      const streamErr = await rejection(collect(client.getFlows(create(GetFlowsRequestSchema, { follow: true }))));
      assert.equal(streamErr.code, "relay_unreachable");
      assert.equal(streamErr.retryable, true);
      const unaryErr = await rejection(client.serverStatus());
      assert.equal(unaryErr.code, "relay_unreachable");
    } finally {
      client.close();
    }
  });

  it("a server that accepts TCP but never speaks gRPC: the dial timeout ends the wait", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const client = new RelayClient({ ...connection(`127.0.0.1:${port}`), dialTimeoutMs: 300 });
    try {
      const started = Date.now();
      const err = await rejection(collect(client.getFlows(create(GetFlowsRequestSchema, { follow: true }))));
      assert.equal(err.code, "relay_unreachable");
      assert.match(err.message, /HUBBLE_DIAL_TIMEOUT/);
      assert.ok(Date.now() - started < 3_000);
    } finally {
      client.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("unary calls carry the request timeout as deadline", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const client = new RelayClient({ ...connection(`127.0.0.1:${port}`), requestTimeoutMs: 300 });
    try {
      const err = await rejection(client.getNodes());
      assert.equal(err.code, "relay_timeout");
    } finally {
      client.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("close() cancels calls in flight and refuses new ones", async () => {
    const relay = await startDemoRelay({ port: 0, seed: 1, rate: 50 });
    const client = new RelayClient(connection(relay.address));
    try {
      const stream = client.getFlows(create(GetFlowsRequestSchema, { follow: true }));
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      client.close();
      await assert.rejects(async () => {
        while (!(await iterator.next()).done) {
          /* drain what was buffered */
        }
      }, /RelayClient is closed/);
      await assert.rejects(client.serverStatus(), /RelayClient is closed/);
    } finally {
      client.close();
      await relay.close();
    }
  });
});
