import "server-only";
import { fromJson, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { recordOf } from "../records";
import type { FlowRecord, KeepMode } from "../store";

// Small builders of flows with fixed times, for the store contract and the recorder tests.

/** 2026-01-02T03:04:05Z, in ns. */
export const T0_NS = 1_767_323_045_000_000_000n;
export const SECOND_NS = 1_000_000_000n;

export interface FlowSpec {
  /** Offset from T0 in ns (default 0). */
  readonly atNs?: bigint;
  readonly uuid?: string;
  readonly verdict?: "FORWARDED" | "DROPPED" | "AUDIT" | "ERROR";
  readonly srcNs?: string;
  readonly srcApp?: string;
  readonly dstNs?: string;
  readonly dstApp?: string;
  readonly port?: number;
  readonly node?: string;
  readonly l7?: boolean;
}

let counter = 0;

export function uuidFor(n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${hex}`;
}

/** A flow's Hubble JSON (as `hubble observe -o jsonpb` writes it). */
export function flowJson(spec: FlowSpec = {}): JsonObject {
  const timeNs = T0_NS + (spec.atNs ?? 0n);
  const verdict = spec.verdict ?? "FORWARDED";
  const json: JsonObject = {
    time: rfc3339(timeNs),
    uuid: spec.uuid ?? uuidFor(++counter),
    verdict,
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 40000 + (counter % 1000), destination_port: spec.port ?? 8080, flags: { SYN: true } } },
    source: endpointJson(spec.srcNs ?? "shop", spec.srcApp ?? "frontend", 1001),
    destination: endpointJson(spec.dstNs ?? "shop", spec.dstApp ?? "catalog", 1002),
    Type: spec.l7 ? "L7" : "L3_L4",
    node_name: spec.node ?? "node-a",
    event_type: { type: spec.l7 ? 129 : 4 },
    traffic_direction: "EGRESS",
    Summary: "TCP Flags: SYN",
  };
  if (verdict === "DROPPED") {
    json.drop_reason_desc = "POLICY_DENIED";
    json.drop_reason = 133;
  }
  if (spec.l7) json.l7 = { type: "REQUEST", http: { method: "GET", url: "http://catalog/items" } };
  return json;
}

function endpointJson(namespace: string, app: string, identity: number): JsonObject {
  return {
    identity,
    namespace,
    labels: [`k8s:app=${app}`, `k8s:io.kubernetes.pod.namespace=${namespace}`],
    pod_name: `${app}-5d9c7b-x1`,
    workloads: [{ name: app, kind: "Deployment" }],
  };
}

export function rfc3339(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % SECOND_NS).toString().padStart(9, "0");
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

export function flowBytes(json: JsonObject): Uint8Array {
  return toBinary(FlowSchema, fromJson(FlowSchema, json));
}

export function record(spec: FlowSpec = {}, mode: KeepMode = "all"): FlowRecord {
  const json = flowJson(spec);
  return recordOf(json, flowBytes(json), mode);
}

/** `n` forwarded flows, one every `stepNs`, from `startNs`. */
export function records(n: number, opts: { startNs?: bigint; stepNs?: bigint; mode?: KeepMode } & FlowSpec = {}): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(record({ ...opts, atNs: (opts.startNs ?? 0n) + BigInt(i) * (opts.stepNs ?? 1_000_000n) }, opts.mode));
  }
  return out;
}
