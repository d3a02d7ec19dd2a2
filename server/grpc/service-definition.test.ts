import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { FlowSchema, Verdict } from "@/proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import {
  GetFlowsRequestSchema,
  GetFlowsResponseSchema,
  ServerStatusRequestSchema,
  ServerStatusResponseSchema,
} from "@/proto/gen/observer/observer_pb";
import {
  ObserverClientConstructor,
  encodeResponse,
  observerServiceDefinition,
  type ObserverClient,
  type ObserverServiceImplementation,
} from "./service-definition";

function flowResponse(node: string): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "flow", value: create(FlowSchema, { verdict: Verdict.DROPPED, nodeName: node }) },
    nodeName: node,
  });
}

describe("observerServiceDefinition", () => {
  it("uses the upstream gRPC paths and streaming flags", () => {
    assert.equal(observerServiceDefinition.getFlows.path, "/observer.Observer/GetFlows");
    assert.equal(observerServiceDefinition.getFlows.responseStream, true);
    assert.equal(observerServiceDefinition.getFlows.requestStream, false);
    assert.equal(observerServiceDefinition.serverStatus.path, "/observer.Observer/ServerStatus");
    assert.equal(observerServiceDefinition.serverStatus.responseStream, false);
    assert.equal(observerServiceDefinition.getFlows.originalName, "GetFlows");
  });

  it("passes pre-encoded bytes through the serializer unchanged", () => {
    const bytes = encodeResponse(GetFlowsResponseSchema, flowResponse("n1"));
    const out = observerServiceDefinition.getFlows.responseSerialize(bytes);
    assert.ok(Buffer.isBuffer(out));
    assert.deepStrictEqual(new Uint8Array(out), bytes);
    assert.equal(out.buffer, bytes.buffer, "no copy");
    // Encoding the message itself gives the same bytes.
    assert.deepStrictEqual(new Uint8Array(observerServiceDefinition.getFlows.responseSerialize(flowResponse("n1"))), bytes);
  });
});

describe("a grpc-js server and client built from the definitions talk", () => {
  let server: grpc.Server;
  let client: ObserverClient;

  before(async () => {
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: "not in this test" }, null);
    const impl: ObserverServiceImplementation = {
      getFlows(call) {
        assert.equal(call.request.number, 2n);
        call.write(encodeResponse(GetFlowsResponseSchema, flowResponse("pre-encoded")));
        call.write(flowResponse("object"));
        call.end();
      },
      getAgentEvents: (call) => call.end(),
      getDebugEvents: (call) => call.end(),
      getNodes: unimplemented,
      getNamespaces: unimplemented,
      serverStatus: (_call, callback) =>
        callback(null, create(ServerStatusResponseSchema, { numFlows: 4095n, maxFlows: 4095n, version: "test" })),
    };
    server = new grpc.Server();
    server.addService(observerServiceDefinition, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new ObserverClientConstructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    server?.forceShutdown();
  });

  it("streams GetFlows, pre-encoded and plain responses alike", async () => {
    const stream = client.getFlows(create(GetFlowsRequestSchema, { number: 2n }), undefined, { deadline: Date.now() + 5000 });
    const nodes: string[] = [];
    for await (const response of stream as AsyncIterable<GetFlowsResponse>) nodes.push(response.nodeName);
    assert.deepStrictEqual(nodes, ["pre-encoded", "object"]);
  });

  it("answers a unary ServerStatus with decoded 64-bit fields", async () => {
    const status = await new Promise((resolve, reject) =>
      client.serverStatus(create(ServerStatusRequestSchema), (err, value) => (err ? reject(err) : resolve(value))),
    );
    assert.deepStrictEqual(
      status,
      create(ServerStatusResponseSchema, { numFlows: 4095n, maxFlows: 4095n, version: "test" }),
    );
  });
});
