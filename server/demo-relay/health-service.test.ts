import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus as ServingStatus, HealthCheckResponseSchema } from "@/proto/gen/grpc/health/v1/health_pb";
import type { DemoCluster } from "./cluster";
import { startGrpcServer } from "./grpc-server";
import { healthMethods, OBSERVER_HEALTH_SERVICE } from "./health-service";
import { startRelayWithClient, waitUntil } from "./test-support";

// grpc.health.v1 on the demo relay, called the way grpc-go's health client (and so `hubble
// status`) calls it, through grpc-js: the statuses Relay reports, NOT_FOUND for unknown services,
// and Watch following a change.

const identity = (b: Buffer) => b;
const request = (service: string) => Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));
const decode = (b: Buffer) => fromBinary(HealthCheckResponseSchema, b).status;

function check(client: grpc.Client, service: string): Promise<{ status?: ServingStatus; err?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", identity, identity, request(service), (err, bytes) => resolve(err ? { err } : { status: decode(bytes!) }));
  });
}

describe("the demo relay's gRPC health service", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it("reports SERVING for the observer service and the whole server, NOT_FOUND for others, like Relay", async () => {
    const r = await startRelayWithClient({ scenario: "starwars", rate: 50, seed: 7 });
    cleanup.push(() => r.close());
    const client = new grpc.Client(r.relay.address, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());

    assert.equal((await check(client, OBSERVER_HEALTH_SERVICE)).status, ServingStatus.SERVING);
    assert.equal((await check(client, "")).status, ServingStatus.SERVING);
    const unknown = await check(client, "observer.Observer");
    assert.equal(unknown.err?.code, grpc.status.NOT_FOUND);
    assert.equal(unknown.err?.details, "unknown service");
  });

  it("is NOT_SERVING without nodes, and Watch reports the change when a node appears", async () => {
    const nodes: unknown[] = [];
    const cluster = { nodes } as unknown as DemoCluster;
    const server = await startGrpcServer(healthMethods({ cluster, checkIntervalMs: 20 }), { host: "127.0.0.1", port: 0 });
    cleanup.push(() => server.close());
    const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());

    assert.equal((await check(client, OBSERVER_HEALTH_SERVICE)).status, ServingStatus.NOT_SERVING);

    const seen: ServingStatus[] = [];
    const unknownSeen: ServingStatus[] = [];
    const watch = client.makeServerStreamRequest("/grpc.health.v1.Health/Watch", identity, identity, request(""), new grpc.Metadata());
    watch.on("data", (b: Buffer) => seen.push(decode(b)));
    watch.on("error", () => {});
    const watchUnknown = client.makeServerStreamRequest("/grpc.health.v1.Health/Watch", identity, identity, request("nope"), new grpc.Metadata());
    watchUnknown.on("data", (b: Buffer) => unknownSeen.push(decode(b)));
    watchUnknown.on("error", () => {});
    await waitUntil(() => seen.length === 1 && unknownSeen.length === 1, "the first Watch answers");
    assert.deepEqual(seen, [ServingStatus.NOT_SERVING]);
    assert.deepEqual(unknownSeen, [ServingStatus.SERVICE_UNKNOWN]);

    nodes.push({ name: "node-1" });
    await waitUntil(() => seen.length === 2, "Watch to report the node");
    assert.deepEqual(seen, [ServingStatus.NOT_SERVING, ServingStatus.SERVING]);
    assert.equal((await check(client, "")).status, ServingStatus.SERVING);
    watch.cancel();
    watchUnknown.cancel();
  });
});
