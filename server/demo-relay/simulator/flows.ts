import "server-only";
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AuthType,
  type CiliumEventType,
  CiliumEventTypeSchema,
  DropReason,
  type Emitter,
  EmitterSchema,
  type Endpoint,
  type Ethernet,
  type FileInfo,
  type Flow,
  FlowType,
  type IP,
  IPSchema,
  IPVersion,
  type Layer4,
  type Layer7,
  type NetworkInterface,
  type Policy,
  PolicySchema,
  type Service,
  type TCPFlags,
  TCPFlagsSchema,
  TraceObservationPoint,
  TraceReason,
  TrafficDirection,
  Verdict,
} from "../../../proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "../../../proto/gen/observer/observer_pb";
import { type PolicyKind, policyRef } from "../scenario/schema";
import { stableUuid } from "./prng";

// Hot-path construction of Flow messages. Flows are built as complete object literals
// (every implicit-presence field present, $typeName set), which is what create() would
// return, without its per-field reflection cost. Sub-messages are shared between flows:
// emitted messages are immutable by contract.

const EMPTY: never[] = Object.freeze([]) as unknown as never[];

/** Everything that varies per flow besides the envelope; the rest takes the zero value. */
export type FlowParts = {
  verdict: Verdict;
  dropReason?: number;
  /** Policy verdicts of a rule that requires mutual authentication. */
  authType?: AuthType;
  ethernet?: Ethernet;
  IP: IP;
  l4: Layer4;
  source: Endpoint;
  destination: Endpoint;
  Type: FlowType;
  sourceNames?: string[];
  destinationNames?: string[];
  l7?: Layer7;
  isReply?: boolean;
  eventType: CiliumEventType;
  sourceService?: Service;
  destinationService?: Service;
  trafficDirection: TrafficDirection;
  policyMatchType?: number;
  traceObservationPoint?: TraceObservationPoint;
  traceReason?: TraceReason;
  file?: FileInfo;
  interface?: NetworkInterface;
  Summary: string;
  egressAllowedBy?: Policy[];
  ingressAllowedBy?: Policy[];
  egressDeniedBy?: Policy[];
  ingressDeniedBy?: Policy[];
};

export function makeFlow(time: Timestamp, uuid: string, emitter: Emitter, nodeName: string, nodeLabels: string[], p: FlowParts): Flow {
  return {
    $typeName: "flow.Flow",
    time,
    uuid,
    emitter,
    verdict: p.verdict,
    dropReason: p.dropReason ?? 0,
    authType: p.authType ?? AuthType.DISABLED,
    ethernet: p.ethernet,
    IP: p.IP,
    l4: p.l4,
    source: p.source,
    destination: p.destination,
    Type: p.Type,
    nodeName,
    nodeLabels,
    sourceNames: p.sourceNames ?? EMPTY,
    destinationNames: p.destinationNames ?? EMPTY,
    l7: p.l7,
    reply: p.isReply === true,
    eventType: p.eventType,
    sourceService: p.sourceService,
    destinationService: p.destinationService,
    trafficDirection: p.trafficDirection,
    policyMatchType: p.policyMatchType ?? 0,
    traceObservationPoint: p.traceObservationPoint ?? 0,
    traceReason: p.traceReason ?? 0,
    file: p.file,
    dropReasonDesc: (p.dropReason ?? 0) as DropReason,
    isReply: p.isReply,
    debugCapturePoint: 0,
    interface: p.interface,
    proxyPort: 0,
    sockXlatePoint: 0,
    socketCookie: 0n,
    cgroupId: 0n,
    Summary: p.Summary,
    egressAllowedBy: p.egressAllowedBy ?? EMPTY,
    ingressAllowedBy: p.ingressAllowedBy ?? EMPTY,
    egressDeniedBy: p.egressDeniedBy ?? EMPTY,
    ingressDeniedBy: p.ingressDeniedBy ?? EMPTY,
    policyLog: EMPTY,
  };
}

export function flowResponse(flow: Flow): GetFlowsResponse {
  return {
    $typeName: "observer.GetFlowsResponse",
    responseTypes: { case: "flow", value: flow },
    nodeName: flow.nodeName,
    time: flow.time,
  };
}

export function timestamp(seconds: bigint, nanos: number): Timestamp {
  return { $typeName: "google.protobuf.Timestamp", seconds, nanos };
}

export function ipv4(source: string, destination: string, encrypted = false): IP {
  return create(IPSchema, { source, destination, ipVersion: IPVersion.IPv4, encrypted });
}

export function tcpL4(sourcePort: number, destinationPort: number, flags: TCPFlags | undefined): Layer4 {
  return {
    $typeName: "flow.Layer4",
    protocol: { case: "TCP", value: { $typeName: "flow.TCP", sourcePort, destinationPort, flags } },
  };
}

export function udpL4(sourcePort: number, destinationPort: number): Layer4 {
  return { $typeName: "flow.Layer4", protocol: { case: "UDP", value: { $typeName: "flow.UDP", sourcePort, destinationPort } } };
}

/** TCP flag sets a connection goes through, with Hubble's summary text. */
export const TCP = {
  SYN: { flags: create(TCPFlagsSchema, { SYN: true }), summary: "TCP Flags: SYN" },
  SYN_ACK: { flags: create(TCPFlagsSchema, { SYN: true, ACK: true }), summary: "TCP Flags: SYN, ACK" },
  ACK: { flags: create(TCPFlagsSchema, { ACK: true }), summary: "TCP Flags: ACK" },
  PSH: { flags: create(TCPFlagsSchema, { ACK: true, PSH: true }), summary: "TCP Flags: ACK, PSH" },
  FIN: { flags: create(TCPFlagsSchema, { ACK: true, FIN: true }), summary: "TCP Flags: ACK, FIN" },
} as const;
export type TcpStep = (typeof TCP)[keyof typeof TCP];

const eventTypes = new Map<number, CiliumEventType>();
/** Shared CiliumEventType message for (type, sub_type). */
export function eventType(type: number, subType = 0): CiliumEventType {
  const key = type * 1000 + subType;
  let m = eventTypes.get(key);
  if (!m) {
    m = create(CiliumEventTypeSchema, { type, subType });
    eventTypes.set(key, m);
  }
  return m;
}

export const EVENT = { DROP: 1, TRACE: 4, POLICY_VERDICT: 5, L7: 129 } as const;

/** Trace sub_type (monitor observation point) for each TraceObservationPoint we emit. */
export const TRACE_SUBTYPE: Partial<Record<TraceObservationPoint, number>> = {
  [TraceObservationPoint.TO_ENDPOINT]: 0,
  [TraceObservationPoint.TO_PROXY]: 1,
  [TraceObservationPoint.TO_STACK]: 3,
  [TraceObservationPoint.TO_OVERLAY]: 4,
  [TraceObservationPoint.TO_NETWORK]: 11,
};

export const MATCH_TYPE_NUMBER: Record<string, number> = {
  none: 0,
  "L3-Only": 1,
  "L3-L4": 2,
  "L4-Only": 3,
  all: 4,
  "L3-Proto": 5,
  "Proto-Only": 6,
};

export function emitterFor(version: string): Emitter {
  return create(EmitterSchema, { name: "Hubble", version });
}

/** The Policy message Hubble attaches to *_allowed_by / *_denied_by for a policy reference. */
export function policyMessage(ref: string, revision: number): Policy {
  if (ref === "allow-localhost-ingress") {
    return create(PolicySchema, {
      labels: ["reserved:io.cilium.policy.derived-from=allow-localhost-ingress"],
      revision: BigInt(revision),
    });
  }
  const [kind, a, b] = ref.split("/") as [PolicyKind, string, string | undefined];
  const namespace = b === undefined ? undefined : a;
  const name = b ?? a;
  const labels = [
    `k8s:io.cilium.k8s.policy.derived-from=${kind}`,
    `k8s:io.cilium.k8s.policy.name=${name}`,
    ...(namespace ? [`k8s:io.cilium.k8s.policy.namespace=${namespace}`] : []),
    `k8s:io.cilium.k8s.policy.uid=${stableUuid(policyRef({ kind, namespace, name }))}`,
  ];
  return create(PolicySchema, { name, namespace: namespace ?? "", labels, revision: BigInt(revision), kind });
}

export const DIRECTION = { ingress: TrafficDirection.INGRESS, egress: TrafficDirection.EGRESS } as const;
export { AuthType, DropReason, FlowType, TraceObservationPoint, TraceReason, TrafficDirection, Verdict };
