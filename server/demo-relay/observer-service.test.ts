import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  GetAgentEventsRequestSchema,
  GetDebugEventsRequestSchema,
  GetNamespacesRequestSchema,
  type GetNamespacesResponse,
  GetNodesRequestSchema,
  type GetNodesResponse,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import type { EpochNs } from "@/lib/timestamp";
import type { ObserverClient } from "@/server/grpc/service-definition";
import { captureDir, flowLine, lostLine, type RelayUnderTest, startRelayWithClient, unary, uuidFor } from "./test-support";

// The unary RPCs and the refused ones, over real gRPC, on a replayed 3-node capture with a clock
// the test moves (uptime and the one-hour namespace window are exact).

const S = 1_000_000_000n;
const START_NS: EpochNs = 1_750_000_000n * S;
const CAPACITY = 3;

/** a: shop → payments; b: kube-system → shop; c (cluster "east"): shop → db. Five flows each; a also a lost event. */
function capture(): Array<Record<string, unknown>> {
  const spec = {
    a: { srcNs: "shop", dstNs: "payments", cluster: undefined },
    b: { srcNs: "kube-system", dstNs: "shop", cluster: undefined },
    c: { srcNs: "shop", dstNs: "db", cluster: "east" },
  } as const;
  const lines: Array<Record<string, unknown>> = [];
  for (let t = 1; t <= 15; t++) {
    const node = (["a", "b", "c"] as const)[(t - 1) % 3];
    lines.push(flowLine({ node, t, uuid: uuidFor(node, t), ...spec[node] }));
  }
  lines.push(lostLine("a", 16, 2));
  return lines;
}

function serverStatus(client: ObserverClient) {
  return unary<ServerStatusResponse>((cb) => client.serverStatus(create(ServerStatusRequestSchema), cb));
}
function getNodes(client: ObserverClient) {
  return unary<GetNodesResponse>((cb) => client.getNodes(create(GetNodesRequestSchema), cb));
}
function getNamespaces(client: ObserverClient) {
  return unary<GetNamespacesResponse>((cb) => client.getNamespaces(create(GetNamespacesRequestSchema), cb));
}

describe("the relay's unary RPCs, on a 3-node capture with rings of 3", () => {
  let t: RelayUnderTest;
  let nowNs = START_NS;
  const dir = captureDir();

  before(async () => {
    t = await startRelayWithClient({ replay: dir.write("status.jsonl", capture()), bufferCapacity: CAPACITY, now: () => nowNs });
    nowNs += 5n * S;
  });
  after(async () => {
    await t?.close();
    dir.cleanup();
  });

  it("ServerStatus sums num_flows, max_flows and seen_flows over nodes", async () => {
    const s = await serverStatus(t.client);
    assert.equal(s.numFlows, 9n, "each ring holds its last 3 events");
    assert.equal(s.maxFlows, 9n, "nodes × capacity");
    assert.equal(s.seenFlows, 15n, "every flow ever written, lost events not counted");
    assert.equal(s.numConnectedNodes, 3);
    assert.equal(s.numUnavailableNodes, 0);
    assert.deepEqual(s.unavailableNodes, []);
    assert.equal(s.uptimeNs, 5n * S);
    assert.match(s.version, /\S/);
    assert.equal(s.flowsRate, 15 / 60, "flows per second over the last minute");
  });

  it("GetNodes lists each node CONNECTED with its own counters", async () => {
    const { nodes } = await getNodes(t.client);
    assert.deepEqual(
      nodes.map((n) => ({ name: n.name, state: n.state, num: n.numFlows, max: n.maxFlows, seen: n.seenFlows, up: n.uptimeNs })),
      ["a", "b", "c"].map((name) => ({ name, state: NodeState.NODE_CONNECTED, num: 3n, max: 3n, seen: 5n, up: 5n * S })),
    );
    assert.ok(nodes.every((n) => n.version !== "" && n.tls?.enabled === false));
  });

  it("GetNamespaces returns the namespaces seen in flows, sorted by cluster then namespace", async () => {
    const { namespaces } = await getNamespaces(t.client);
    assert.deepEqual(
      namespaces.map((n) => [n.cluster, n.namespace]),
      [
        ["", "kube-system"],
        ["", "payments"],
        ["", "shop"],
        ["east", "db"],
        ["east", "shop"],
      ],
    );
  });

  it("GetNamespaces forgets namespaces not seen for an hour", async () => {
    const saved = nowNs;
    nowNs += 3601n * S;
    try {
      assert.deepEqual((await getNamespaces(t.client)).namespaces, []);
    } finally {
      nowNs = saved;
    }
  });

  for (const [rpc, call] of [
    ["GetAgentEvents", (c: ObserverClient) => c.getAgentEvents(create(GetAgentEventsRequestSchema, { number: 1n }))],
    ["GetDebugEvents", (c: ObserverClient) => c.getDebugEvents(create(GetDebugEventsRequestSchema, { number: 1n }))],
  ] as const) {
    it(`${rpc} answers UNIMPLEMENTED, as Hubble Relay does`, async () => {
      const stream = call(t.client);
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        stream.on("data", () => reject(new Error(`${rpc} sent data`)));
        stream.on("error", resolve);
        stream.on("end", () => reject(new Error(`${rpc} ended without an error`)));
      });
      assert.equal(err.code, grpc.status.UNIMPLEMENTED);
      assert.match(err.details, new RegExp(rpc));
    });
  }
});
