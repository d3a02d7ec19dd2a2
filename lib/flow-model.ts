// The normalised flow the UI works with (`FlowRow`), derived from a Flow in Hubble's JSON form
// (the `flow` object of a `hubble observe -o jsonpb` line). Pure and isomorphic.
//
// Every string here comes from workloads in the cluster and may be hostile: it is bounded in size
// (`boundFlowJson`) before it leaves the server and must only ever be rendered as text.

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

export const MAX_TEXT = 2048;
export const MAX_LIST = 256;

export type EntityKind = "world" | "host" | "remote-node" | "kube-apiserver" | "health" | "init" | "ingress" | "unmanaged";

export interface FlowEndpointView {
  readonly namespace: string;
  readonly pod: string;
  readonly workload: string;
  readonly workloadKind: string;
  readonly identity: number;
  readonly labels: readonly string[];
  readonly ip: string;
  readonly port: number | undefined;
  /** DNS names Cilium knows for the address (source_names / destination_names). */
  readonly names: readonly string[];
  readonly service: string;
  readonly cluster: string;
  /** Set for reserved identities: the entity the endpoint stands for. */
  readonly entity: EntityKind | undefined;
}

export interface FlowL7View {
  readonly kind: "http" | "dns" | "kafka" | "unknown";
  readonly type: string;
  readonly latencyNs: number | undefined;
  readonly httpMethod?: string;
  readonly httpUrl?: string;
  readonly httpPath?: string;
  readonly httpCode?: number;
  readonly httpProtocol?: string;
  readonly dnsQuery?: string;
  readonly dnsRcode?: number;
  readonly dnsIps?: readonly string[];
  readonly dnsQtypes?: readonly string[];
  readonly kafkaTopic?: string;
  readonly kafkaApiKey?: string;
  readonly kafkaErrorCode?: number;
}

export interface PolicyRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface FlowRow {
  /** uuid, or a content key for flows from Cilium before 1.14. */
  readonly id: string;
  readonly time: string;
  readonly timeMs: number;
  readonly verdict: string;
  readonly dropReason: string;
  readonly eventType: number;
  readonly eventSubType: number;
  readonly flowType: string;
  readonly source: FlowEndpointView;
  readonly destination: FlowEndpointView;
  /** TCP, UDP, ICMPv4, ICMPv6, SCTP, …; empty when the flow has no L4. */
  readonly l4Protocol: string;
  readonly tcpFlags: readonly string[];
  readonly l7: FlowL7View | undefined;
  readonly direction: string;
  readonly isReply: boolean | undefined;
  readonly node: string;
  readonly summary: string;
  readonly traceObservationPoint: string;
  readonly policyMatchType: number;
  /** `IP.encrypted`: sent between nodes encrypted (WireGuard or IPsec), seen here decrypted. */
  readonly encrypted: boolean;
  /**
   * `auth_type` of a policy verdict: the mutual authentication the matching rule required and the
   * two identities passed ("SPIRE"); "" when none was required (DISABLED, or no policy verdict).
   */
  readonly authType: string;
  readonly allowedBy: readonly PolicyRef[];
  readonly deniedBy: readonly PolicyRef[];
}

const RESERVED_ENTITY: Record<string, EntityKind> = {
  "reserved:world": "world",
  "reserved:world-ipv4": "world",
  "reserved:world-ipv6": "world",
  "reserved:host": "host",
  "reserved:remote-node": "remote-node",
  "reserved:kube-apiserver": "kube-apiserver",
  "reserved:health": "health",
  "reserved:init": "init",
  "reserved:ingress": "ingress",
  "reserved:unmanaged": "unmanaged",
};

/**
 * A copy of a flow's JSON with every string cut to `MAX_TEXT` characters and every list to
 * `MAX_LIST` entries, so one hostile flow cannot blow up a browser or a batch.
 */
export function boundFlowJson(value: JsonValue): JsonValue {
  if (typeof value === "string") return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  if (Array.isArray(value)) return value.slice(0, MAX_LIST).map(boundFlowJson);
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) out[key] = boundFlowJson(value[key]);
    return out;
  }
  return value;
}

export function toFlowRow(flow: JsonObject): FlowRow {
  const l4 = obj(flow.l4);
  const [l4Protocol, l4Body] = firstEntry(l4);
  const ip = obj(flow.IP);
  const eventType = obj(flow.event_type);
  const time = str(flow.time);
  const isReply = typeof flow.is_reply === "boolean" ? flow.is_reply : typeof flow.reply === "boolean" ? flow.reply : undefined;
  const row: Omit<FlowRow, "id"> = {
    time,
    timeMs: time ? Date.parse(time) : 0,
    verdict: str(flow.verdict) || "VERDICT_UNKNOWN",
    dropReason: str(flow.drop_reason_desc),
    eventType: num(eventType.type) ?? 0,
    eventSubType: num(eventType.sub_type) ?? 0,
    flowType: str(flow.Type),
    source: endpoint(obj(flow.source), str(ip.source), num(obj(l4Body).source_port), strList(flow.source_names), obj(flow.source_service)),
    destination: endpoint(obj(flow.destination), str(ip.destination), num(obj(l4Body).destination_port), strList(flow.destination_names), obj(flow.destination_service)),
    l4Protocol,
    tcpFlags: Object.keys(obj(obj(l4Body).flags)).filter((k) => obj(obj(l4Body).flags)[k] === true),
    l7: l7View(flow.l7),
    direction: str(flow.traffic_direction) || "TRAFFIC_DIRECTION_UNKNOWN",
    isReply,
    node: str(flow.node_name),
    summary: str(flow.Summary),
    traceObservationPoint: str(flow.trace_observation_point),
    policyMatchType: num(flow.policy_match_type) ?? 0,
    encrypted: ip.encrypted === true,
    authType: authTypeOf(flow.auth_type),
    allowedBy: [...policies(flow.ingress_allowed_by), ...policies(flow.egress_allowed_by)],
    deniedBy: [...policies(flow.ingress_denied_by), ...policies(flow.egress_denied_by)],
  };
  return { id: str(flow.uuid) || contentKey(flow), ...row };
}

const AUTH_TYPE_NUMBERS: Record<number, string> = { 1: "SPIRE", 2: "TEST_ALWAYS_FAIL" };

/** flow.AuthType by name ("SPIRE"), from its JSON name or number; "" for DISABLED or none. */
function authTypeOf(v: JsonValue | undefined): string {
  if (typeof v === "number") return AUTH_TYPE_NUMBERS[v] ?? (v > 0 ? String(v) : "");
  if (typeof v !== "string" || v === "DISABLED" || v === "0") return "";
  return v.length > 40 ? v.slice(0, 40) : v;
}

/**
 * "The same flow" for a flow without a uuid (Cilium < 1.14), the one definition the server's
 * de-duplication (relay-client follower, hub) and the rows' ids use: what distinguishes two real
 * events — time to the nanosecond, node (`nodeFallback`, the envelope's, when the flow has none),
 * addresses, protocol and ports (ICMP type and code), event type and sub type, verdict, drop
 * reason, observation point, direction, reply flag, both identities and pods, L7 type, summary.
 * `FLOW_KEY_FIELDS` lists them; the values are JSON-quoted, so no field's text can run into another's.
 */
export function contentKey(flow: JsonObject, nodeFallback = ""): string {
  const ip = obj(flow.IP);
  const [proto, l4Body] = firstEntry(obj(flow.l4));
  const l4b = obj(l4Body);
  const et = obj(flow.event_type);
  const src = obj(flow.source);
  const dst = obj(flow.destination);
  const reply = typeof flow.is_reply === "boolean" ? flow.is_reply : null;
  const values = [
    str(flow.time),
    str(flow.node_name) || nodeFallback,
    str(ip.source),
    str(ip.destination),
    proto,
    num(l4b.source_port) ?? num(l4b.type) ?? null,
    num(l4b.destination_port) ?? num(l4b.code) ?? null,
    num(et.type) ?? null,
    num(et.sub_type) ?? null,
    str(flow.verdict),
    str(flow.drop_reason_desc),
    str(flow.trace_observation_point),
    str(flow.traffic_direction),
    reply,
    num(src.identity) ?? null,
    num(dst.identity) ?? null,
    str(src.pod_name),
    str(dst.pod_name),
    str(obj(flow.l7).type),
    str(flow.Summary),
  ];
  return `ck|${JSON.stringify(values)}`;
}

/** The fields `contentKey` reads, as paths in the flow's JSON (for tests and docs). */
export const FLOW_KEY_FIELDS = [
  "time",
  "node_name",
  "IP.source",
  "IP.destination",
  "l4.<protocol>",
  "l4.<protocol>.source_port|type",
  "l4.<protocol>.destination_port|code",
  "event_type.type",
  "event_type.sub_type",
  "verdict",
  "drop_reason_desc",
  "trace_observation_point",
  "traffic_direction",
  "is_reply",
  "source.identity",
  "destination.identity",
  "source.pod_name",
  "destination.pod_name",
  "l7.type",
  "Summary",
] as const;

function endpoint(ep: JsonObject, ip: string, port: number | undefined, names: string[], service: JsonObject): FlowEndpointView {
  const labels = strList(ep.labels);
  const workloads = Array.isArray(ep.workloads) ? ep.workloads.map(obj) : [];
  const svcName = str(service.name);
  return {
    namespace: str(ep.namespace),
    pod: str(ep.pod_name),
    workload: str(workloads[0]?.name),
    workloadKind: str(workloads[0]?.kind),
    identity: num(ep.identity) ?? 0,
    labels,
    ip,
    port,
    names,
    service: svcName ? `${str(service.namespace)}/${svcName}` : "",
    cluster: str(ep.cluster_name),
    entity: entityOf(labels),
  };
}

export function entityOf(labels: readonly string[]): EntityKind | undefined {
  // kube-apiserver wins over world for the CIDR identity that carries both labels.
  let found: EntityKind | undefined;
  for (const l of labels) {
    const e = RESERVED_ENTITY[l];
    if (e === "kube-apiserver") return e;
    if (e && !found) found = e;
  }
  return found;
}

function l7View(value: JsonValue | undefined): FlowL7View | undefined {
  const l7 = obj(value);
  if (Object.keys(l7).length === 0) return undefined;
  const type = str(l7.type) || "UNKNOWN_L7_TYPE";
  const latency = l7.latency_ns === undefined ? undefined : Number(l7.latency_ns);
  if (l7.http !== undefined) {
    const http = obj(l7.http);
    const url = str(http.url);
    return {
      kind: "http",
      type,
      latencyNs: latency,
      httpMethod: str(http.method),
      httpUrl: url,
      httpPath: urlPath(url),
      httpCode: num(http.code),
      httpProtocol: str(http.protocol),
    };
  }
  if (l7.dns !== undefined) {
    const dns = obj(l7.dns);
    return {
      kind: "dns",
      type,
      latencyNs: latency,
      dnsQuery: str(dns.query),
      dnsRcode: num(dns.rcode) ?? 0,
      dnsIps: strList(dns.ips),
      dnsQtypes: strList(dns.qtypes),
    };
  }
  if (l7.kafka !== undefined) {
    const kafka = obj(l7.kafka);
    return {
      kind: "kafka",
      type,
      latencyNs: latency,
      kafkaTopic: str(kafka.topic),
      kafkaApiKey: str(kafka.api_key),
      kafkaErrorCode: num(kafka.error_code),
    };
  }
  return { kind: "unknown", type, latencyNs: latency };
}

/** The path of an HTTP URL, without evaluating anything; "" when it has none. */
export function urlPath(url: string): string {
  const scheme = url.indexOf("://");
  const rest = scheme >= 0 ? url.slice(scheme + 3) : url;
  // The authority ends at the first of / ? #; a "/" inside the query or fragment is not the path.
  const authorityEnd = rest.search(/[/?#]/);
  if (authorityEnd < 0 || rest[authorityEnd] !== "/") return scheme >= 0 ? "/" : "";
  const path = rest.slice(authorityEnd);
  const cut = path.search(/[?#]/);
  return cut >= 0 ? path.slice(0, cut) : path;
}

function policies(value: JsonValue | undefined): PolicyRef[] {
  if (!Array.isArray(value)) return [];
  return value.map((p) => {
    const o = obj(p);
    return { kind: str(o.kind), namespace: str(o.namespace), name: str(o.name) };
  });
}

function obj(value: JsonValue | undefined): JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

function str(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function num(value: JsonValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function strList(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function firstEntry(o: JsonObject): [string, JsonValue | undefined] {
  for (const key of Object.keys(o)) return [key, o[key]];
  return ["", undefined];
}

/**
 * Whether a flow is one a user looks for first: a drop, an audit, an error, or an L7 error (HTTP
 * status ≥ 400, DNS rcode ≠ 0). When a browser's flow budget is short, these are sent before
 * forwarded flows.
 */
export function isPriorityFlow(row: Pick<FlowRow, "verdict" | "l7">): boolean {
  if (row.verdict === "DROPPED" || row.verdict === "AUDIT" || row.verdict === "ERROR") return true;
  const l7 = row.l7;
  if (!l7 || l7.type !== "RESPONSE") return false;
  return (l7.httpCode ?? 0) >= 400 || (l7.dnsRcode ?? 0) !== 0;
}
