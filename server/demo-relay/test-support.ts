import "server-only";

// Builders and helpers shared by the demo relay's integration tests: synthetic jsonpb captures with
// timestamps we choose, a relay plus client on a random port, and stream readers that wait for
// conditions (never for fixed times).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Flow } from "@/proto/gen/flow/flow_pb";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import type { NodeStatusEvent } from "@/proto/gen/relay/relay_pb";
import { ObserverClientConstructor, type ObserverClient } from "@/server/grpc/service-definition";
import { nsToRfc3339, timestampToNs, type EpochNs } from "@/lib/timestamp";
import type { DemoRelayOptions, RunningDemoRelay } from "./index";

// ---------------------------------------------------------------------------------------------
// Real captures

export { capturesDir, captureFiles } from "@/lib/testing/captures";

// ---------------------------------------------------------------------------------------------
// Synthetic captures

/** 2024-01-01T00:00:00Z: every synthetic timestamp is an offset from here. */
export const T0_NS: EpochNs = 1_704_067_200n * 1_000_000_000n;

/** The epoch time of a synthetic event `seconds` after T0 (millisecond resolution). */
export function at(seconds: number): EpochNs {
  return T0_NS + BigInt(Math.round(seconds * 1000)) * 1_000_000n;
}

export interface FlowSpec {
  readonly node: string;
  /** Seconds after T0. */
  readonly t: number;
  readonly uuid: string;
  readonly verdict?: "FORWARDED" | "DROPPED";
  readonly cluster?: string;
  readonly srcNs?: string;
  readonly dstNs?: string;
  readonly srcPod?: string;
}

/** One flow line as `hubble observe -o jsonpb` writes it. */
export function flowLine(s: FlowSpec): Record<string, unknown> {
  const time = nsToRfc3339(at(s.t));
  const endpoint = (ns: string | undefined, pod: string | undefined) => ({
    ...(s.cluster ? { cluster_name: s.cluster } : {}),
    ...(ns ? { namespace: ns } : {}),
    ...(pod ? { pod_name: pod } : {}),
  });
  return {
    flow: {
      time,
      uuid: s.uuid,
      verdict: s.verdict ?? "FORWARDED",
      IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
      l4: { TCP: { source_port: 40000, destination_port: 80 } },
      source: endpoint(s.srcNs, s.srcPod),
      destination: endpoint(s.dstNs, undefined),
      Type: "L3_L4",
      node_name: s.node,
    },
    node_name: s.node,
    time,
  };
}

/** A lost-events line, as an agent reports events its perf ring dropped. */
export function lostLine(node: string, t: number, lost: number): Record<string, unknown> {
  const time = nsToRfc3339(at(t));
  return {
    lost_events: { source: "PERF_EVENT_RING_BUFFER", num_events_lost: String(lost) },
    node_name: node,
    time,
  };
}

/** A uuid in v4 layout made of its node and index (in the leading digits, which a loop replay keeps). */
export function uuidFor(node: string, i: number): string {
  const n = [...node].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return `${Math.round(i * 1000)
    .toString(16)
    .padStart(8, "0")}-${(n & 0xffff).toString(16).padStart(4, "0")}-4000-8000-000000000000`;
}

/** Temp directory for synthetic captures; `cleanup` removes it. */
export function captureDir(): { write(name: string, lines: Array<Record<string, unknown>>): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "demo-relay-test-"));
  return {
    write(name, lines) {
      const file = path.join(dir, name);
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Relay and client

export interface RelayUnderTest {
  readonly relay: RunningDemoRelay;
  readonly client: ObserverClient;
  close(): Promise<void>;
}

export async function startRelayWithClient(opts: DemoRelayOptions): Promise<RelayUnderTest> {
  // Imported lazily so the pure unit tests in this folder load without the simulator.
  const { startDemoRelay } = await import("./index");
  const relay = await startDemoRelay({ host: "127.0.0.1", port: 0, ...opts });
  const client = new ObserverClientConstructor(relay.address, grpc.credentials.createInsecure());
  return {
    relay,
    client,
    close: async () => {
      client.close();
      await relay.close();
    },
  };
}

export type GetFlowsInit = MessageInitShape<typeof GetFlowsRequestSchema>;

/** Runs a GetFlows call that must end on its own; resolves with everything received. */
export function getFlows(client: ObserverClient, init: GetFlowsInit, timeoutMs = 5000): Promise<GetFlowsResponse[]> {
  return new Promise((resolve, reject) => {
    const received: GetFlowsResponse[] = [];
    const call = client.getFlows(create(GetFlowsRequestSchema, init), new grpc.Metadata(), {
      deadline: Date.now() + timeoutMs,
    });
    call.on("data", (r: GetFlowsResponse) => received.push(r));
    call.on("error", reject);
    call.on("end", () => resolve(received));
  });
}

/** An open GetFlows call whose responses accumulate in `received`. */
export interface OpenStream {
  readonly call: grpc.ClientReadableStream<GetFlowsResponse>;
  readonly received: GetFlowsResponse[];
  /** Set once the call finished (grpc status, including CANCELLED). */
  status(): grpc.StatusObject | undefined;
  flows(): Flow[];
}

export function openGetFlows(client: ObserverClient, init: GetFlowsInit): OpenStream {
  const call = client.getFlows(create(GetFlowsRequestSchema, init));
  const received: GetFlowsResponse[] = [];
  let status: grpc.StatusObject | undefined;
  call.on("data", (r: GetFlowsResponse) => received.push(r));
  call.on("status", (s: grpc.StatusObject) => (status = s));
  call.on("error", () => {}); // surfaced through status()
  return { call, received, status: () => status, flows: () => flowsOf(received) };
}

export { waitUntil } from "@/lib/testing/wait";

export function unary<Res>(invoke: (cb: grpc.requestCallback<Res>) => void): Promise<Res> {
  return new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res as Res))));
}

// ---------------------------------------------------------------------------------------------
// Reading responses

export function flowsOf(responses: readonly GetFlowsResponse[]): Flow[] {
  return responses.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value] : []));
}

export function nodeStatusesOf(responses: readonly GetFlowsResponse[]): NodeStatusEvent[] {
  return responses.flatMap((r) => (r.responseTypes.case === "nodeStatus" ? [r.responseTypes.value] : []));
}

export function uuidsOf(responses: readonly GetFlowsResponse[]): string[] {
  return flowsOf(responses).map((f) => f.uuid);
}

/** Envelope times in order, in ns. */
export function timesOf(responses: readonly GetFlowsResponse[]): EpochNs[] {
  return responses.map((r) => timestampToNs(r.time));
}

export function isNonDecreasing(values: readonly bigint[]): boolean {
  return values.every((v, i) => i === 0 || values[i - 1] <= v);
}
