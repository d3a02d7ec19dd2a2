// The catalogue of filter kinds: one row per kind says which hubble CLI flag it stands for,
// which FlowFilter field(s) it fills, how its value is checked and normalised, and how a field
// value is read back. Everything else in this module is driven by this table.
import { create } from "@bufbuild/protobuf";
import { EVENT_TYPE, EVENT_TYPE_NAME, EVENT_TYPE_NUMBER, RESERVED_IDENTITY_NUMBER, TRACE_POINT_NAME, TRACE_POINT_NUMBER } from "@/lib/hubble-names";
import {
  DropReason,
  DropReasonSchema,
  EventTypeFilterSchema,
  HTTPHeaderSchema,
  IPVersion,
  NetworkInterfaceSchema,
  TCPFlagsSchema,
  TrafficDirection,
  Verdict,
  VerdictSchema,
  WorkloadSchema,
  type EventTypeFilter,
  type FlowFilter,
  type HTTPHeader,
  type NetworkInterface,
  type TCPFlags,
  type Workload,
} from "../../proto/gen/flow/flow_pb";
import { isIpOrCidr } from "./ip";

export type Direction = "either" | "from" | "to";

export const FILTER_KINDS = [
  "pod",
  "namespace",
  "label",
  "ip",
  "fqdn",
  "identity",
  "workload",
  "service",
  "port",
  "cluster",
  "verdict",
  "protocol",
  "http-status",
  "http-method",
  "http-path",
  "http-url",
  "http-header",
  "drop-reason",
  "node",
  "node-label",
  "traffic-direction",
  "type",
  "uuid",
  "tcp-flags",
  "ip-version",
  "snat-ip",
  "interface",
  "trace-id",
  "encrypted",
] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];

/** Accepted spellings that parse to a canonical kind (`dns=` is hubble-ui's name for the FQDN filter). */
export const KIND_ALIASES: Readonly<Record<string, FilterKind>> = {
  dns: "fqdn",
  "tcp-flag": "tcp-flags",
  "node-name": "node",
  "drop-reason-desc": "drop-reason",
  "http-status-code": "http-status",
  ns: "namespace",
};

/** Names of the Verdict enum, e.g. "DROPPED". */
export type VerdictName = keyof typeof Verdict;
export const VERDICT_NAMES: readonly VerdictName[] = VerdictSchema.values.map((v) => v.name as VerdictName);
const DROP_REASON_NAMES: readonly string[] = DropReasonSchema.values.map((v) => v.name);

/** A FlowFilter field holding a list (every FlowFilter field but `experimental`). */
export type ListField = Exclude<keyof FlowFilter, "$typeName" | "$unknown" | "experimental">;

/** Thrown by a kind's `normalize`; the message says what is wrong with the value. */
export class ValueError extends Error {}

export interface KindSpec {
  kind: FilterKind;
  /** Takes `from:` / `to:` (else the CLI builds one filter per side, OR'ed). */
  directional: boolean;
  /** CLI flag without dashes; directional kinds also have `from-<flag>` and `to-<flag>`. */
  flag: string;
  /** CLI one-letter shorthand of the direction-less flag, if any. */
  short?: string;
  /** What a value looks like, for error messages. */
  expects: string;
  example: string;
  /** Checks a value and returns its canonical spelling; throws ValueError. */
  normalize(raw: string): string;
  /** FlowFilter field(s). Absent only for `namespace`, which the CLI applies as a pod/service modifier. */
  field?: ListField;
  sourceField?: ListField;
  destinationField?: ListField;
  /** Canonical value → the element stored in the FlowFilter field. */
  toProto(value: string): unknown;
  /** FlowFilter element → canonical value; throws ValueError when no entry can produce it. */
  fromProto(element: unknown): string;
}

// ---- value helpers -------------------------------------------------------------------------

const nonEmpty = (what: string) => (raw: string) => {
  if (raw === "") throw new ValueError(`${what} must not be empty`);
  return raw;
};
const asString = (v: string) => v;
const fromString = (e: unknown) => String(e);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export function checkNamespaceName(raw: string): string {
  if (!DNS_LABEL.test(raw)) {
    throw new ValueError("a namespace is a DNS label: lower-case letters, digits and '-', at most 63 characters");
  }
  return raw;
}

function namespacedName(what: string) {
  return (raw: string) => {
    if (raw === "") throw new ValueError(`${what} name must not be empty`);
    if (/\s/.test(raw)) throw new ValueError(`${what} name must not contain spaces`);
    if (raw.split("/").length > 2) throw new ValueError(`${what} name is [namespace/]name-prefix, with at most one '/'`);
    return raw;
  };
}

/** Reserved security identities by name (cilium pkg/identity, `GetReservedID`). */
export const RESERVED_IDENTITIES = RESERVED_IDENTITY_NUMBER;

function parseUint(raw: string, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/** CLI `--type` names (monitor API message types usable with `hubble observe`). */
export const EVENT_TYPE_NAMES = EVENT_TYPE_NUMBER;
const TRACE_TYPE = EVENT_TYPE.trace;
/** `--type trace:<point>` sub-type names (monitor API TraceObservationPoints). */
export const TRACE_POINT_NAMES = TRACE_POINT_NUMBER;

function parseEventType(raw: string): { type: number; subType?: number } {
  const value = raw.toLowerCase();
  const [typePart, subPart, ...extra] = value.split(":");
  if (extra.length > 0) throw new ValueError("an event type is TYPE or TYPE:SUBTYPE");
  const type = EVENT_TYPE_NAMES[typePart] ?? parseUint(typePart, 0x7fffffff);
  if (type === undefined) {
    throw new ValueError(`unknown event type "${typePart}": use one of ${Object.keys(EVENT_TYPE_NAMES).join(", ")} or a number`);
  }
  if (subPart === undefined) return { type };
  const subType = (type === TRACE_TYPE ? TRACE_POINT_NAMES[subPart] : undefined) ?? parseUint(subPart, 0x7fffffff);
  if (subType === undefined) {
    const names = type === TRACE_TYPE ? `one of ${Object.keys(TRACE_POINT_NAMES).join(", ")} or ` : "";
    throw new ValueError(`unknown sub-type "${subPart}" for event type "${typePart}": use ${names}a number`);
  }
  return { type, subType };
}

const TCP_FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const;

const PROTOCOLS = ["icmp", "icmpv4", "icmpv6", "tcp", "udp", "sctp", "vrrp", "igmp", "dns", "http", "kafka"];

const IP_VERSIONS: Readonly<Record<string, "v4" | "v6" | "none">> = {
  "4": "v4",
  v4: "v4",
  ipv4: "v4",
  ip4: "v4",
  "6": "v6",
  v6: "v6",
  ipv6: "v6",
  ip6: "v6",
  none: "none",
};

function checkIp(raw: string): string {
  if (!isIpOrCidr(raw)) throw new ValueError("expected an IP address (10.0.0.1, fd00::1) or a CIDR (10.0.0.0/8)");
  return raw;
}

function enumName(names: readonly string[], what: string, raw: string): string {
  const upper = raw.toUpperCase();
  if (!names.includes(upper)) throw new ValueError(`unknown ${what} "${raw}"`);
  return upper;
}

// ---- the table -----------------------------------------------------------------------------

type SpecInput = Omit<KindSpec, "toProto" | "fromProto"> & Partial<Pick<KindSpec, "toProto" | "fromProto">>;
const spec = (s: SpecInput): KindSpec => ({ toProto: asString, fromProto: fromString, ...s });
const directional = (flag: string, src: ListField, dst: ListField, rest: Omit<SpecInput, "kind" | "flag" | "directional">) =>
  ({ flag, directional: true, sourceField: src, destinationField: dst, ...rest }) as const;

export const KIND_SPECS: Readonly<Record<FilterKind, KindSpec>> = {
  pod: spec({
    kind: "pod",
    ...directional("pod", "sourcePod", "destinationPod", {
      expects: "[namespace/]pod-name-prefix (no namespace means 'default'; '/name' means any namespace)",
      example: "pod=shop/frontend",
      normalize: namespacedName("pod"),
    }),
  }),
  namespace: spec({
    kind: "namespace",
    directional: true,
    flag: "namespace",
    short: "n",
    expects: "a Kubernetes namespace name",
    example: "namespace=kube-system",
    normalize: checkNamespaceName,
  }),
  label: spec({
    kind: "label",
    short: "l",
    ...directional("label", "sourceLabel", "destinationLabel", {
      expects: "a label selector (app=frontend, k8s:app=frontend, 'tier in (web,api)', reserved:world)",
      example: "label=app=frontend",
      normalize: nonEmpty("a label selector"),
    }),
  }),
  ip: spec({
    kind: "ip",
    ...directional("ip", "sourceIp", "destinationIp", {
      expects: "an IP address or CIDR",
      example: "ip=10.0.0.0/8",
      normalize: checkIp,
    }),
  }),
  fqdn: spec({
    kind: "fqdn",
    ...directional("fqdn", "sourceFqdn", "destinationFqdn", {
      expects: "a DNS name pattern where '*' matches any characters (*.cilium.io)",
      example: "fqdn=*.cilium.io",
      normalize(raw) {
        if (raw === "") throw new ValueError("an FQDN pattern must not be empty");
        if (!/^[-0-9_a-zA-Z.*]+$/.test(raw)) throw new ValueError("an FQDN pattern may only contain letters, digits, '-', '_', '.' and '*'");
        return raw;
      },
    }),
  }),
  identity: spec({
    kind: "identity",
    ...directional("identity", "sourceIdentity", "destinationIdentity", {
      expects: `a numeric security identity or one of ${Object.keys(RESERVED_IDENTITIES).join(", ")}`,
      example: "identity=world",
      normalize(raw) {
        const lower = raw.toLowerCase();
        if (lower in RESERVED_IDENTITIES) return lower;
        if (parseUint(raw, 0xffffffff) === undefined) throw new ValueError("not a reserved identity name nor a 32-bit number");
        return String(Number(raw));
      },
      toProto: (v: string) => RESERVED_IDENTITIES[v] ?? Number(v),
    }),
  }),
  workload: spec({
    kind: "workload",
    ...directional("workload", "sourceWorkload", "destinationWorkload", {
      expects: "[Kind/]name, e.g. Deployment/frontend or frontend",
      example: "workload=Deployment/frontend",
      normalize: nonEmpty("a workload"),
      toProto(v: string): Workload {
        const slash = v.indexOf("/");
        return slash < 0 ? create(WorkloadSchema, { name: v }) : create(WorkloadSchema, { kind: v.slice(0, slash), name: v.slice(slash + 1) });
      },
      fromProto(e: unknown) {
        const w = e as Workload;
        if (w.kind === "" && w.name === "") throw new ValueError("an empty workload");
        return w.kind === "" ? w.name : `${w.kind}/${w.name}`;
      },
    }),
  }),
  service: spec({
    kind: "service",
    ...directional("service", "sourceService", "destinationService", {
      expects: "[namespace/]service-name-prefix",
      example: "service=kube-system/kube-dns",
      normalize: namespacedName("service"),
    }),
  }),
  port: spec({
    kind: "port",
    ...directional("port", "sourcePort", "destinationPort", {
      expects: "a port number 0–65535",
      example: "port=443",
      normalize(raw) {
        const n = parseUint(raw, 65535);
        if (n === undefined) throw new ValueError("a port is a number from 0 to 65535");
        return String(n);
      },
    }),
  }),
  cluster: spec({
    kind: "cluster",
    ...directional("cluster", "sourceClusterName", "destinationClusterName", {
      expects: "a cluster name",
      example: "cluster=prod-eu",
      normalize: nonEmpty("a cluster name"),
    }),
  }),
  verdict: spec({
    kind: "verdict",
    directional: false,
    flag: "verdict",
    field: "verdict",
    expects: `one of ${VERDICT_NAMES.filter((n) => n !== "VERDICT_UNKNOWN").join(", ")}`,
    example: "verdict=DROPPED",
    normalize: (raw) => enumName(VERDICT_NAMES, "verdict", raw),
    toProto: (v) => Verdict[v as VerdictName],
    fromProto: (e) => VerdictSchema.values.find((v) => v.number === e)?.name ?? unknownEnum("verdict", e),
  }),
  protocol: spec({
    kind: "protocol",
    directional: false,
    flag: "protocol",
    field: "protocol",
    expects: `one of ${PROTOCOLS.join(", ")}`,
    example: "protocol=tcp",
    normalize(raw) {
      const lower = raw.toLowerCase();
      if (!PROTOCOLS.includes(lower)) throw new ValueError(`unknown protocol "${raw}"`);
      return lower;
    },
  }),
  "http-status": spec({
    kind: "http-status",
    directional: false,
    flag: "http-status",
    field: "httpStatusCode",
    expects: "a status code (404) or a prefix ending in '+' (5+, 40+)",
    example: "http-status=5+",
    normalize(raw) {
      if (!/^[1-5][0-9]{2}$/.test(raw) && !/^[1-5][0-9]?\+$/.test(raw)) {
        throw new ValueError("expected a code 100–599 such as 404, or a prefix such as 5+ or 40+");
      }
      return raw;
    },
  }),
  "http-method": spec({
    kind: "http-method",
    directional: false,
    flag: "http-method",
    field: "httpMethod",
    expects: "an HTTP method (GET, post, …)",
    example: "http-method=GET",
    normalize(raw) {
      if (!/^[A-Za-z]+$/.test(raw)) throw new ValueError("an HTTP method is a word such as GET or post");
      return raw;
    },
  }),
  "http-path": spec({
    kind: "http-path",
    directional: false,
    flag: "http-path",
    field: "httpPath",
    expects: "an RE2 regular expression matched anywhere in the URL path",
    example: "http-path=^/api/",
    normalize: nonEmpty("an HTTP path pattern"),
  }),
  "http-url": spec({
    kind: "http-url",
    directional: false,
    flag: "http-url",
    field: "httpUrl",
    expects: "an RE2 regular expression matched anywhere in the full URL",
    example: "http-url=cilium\\.io",
    normalize: nonEmpty("an HTTP URL pattern"),
  }),
  "http-header": spec({
    kind: "http-header",
    directional: false,
    flag: "http-header",
    field: "httpHeader",
    expects: "name:value",
    example: "http-header=x-tenant:blue",
    normalize(raw) {
      if (raw.indexOf(":") <= 0) throw new ValueError("an HTTP header filter is name:value");
      return raw;
    },
    toProto(v): HTTPHeader {
      const i = v.indexOf(":");
      return create(HTTPHeaderSchema, { key: v.slice(0, i), value: v.slice(i + 1) });
    },
    fromProto(e) {
      const h = e as HTTPHeader;
      if (h.key === "") throw new ValueError("an HTTP header filter without a name");
      return `${h.key}:${h.value}`;
    },
  }),
  "drop-reason": spec({
    kind: "drop-reason",
    directional: false,
    flag: "drop-reason-desc",
    field: "dropReasonDesc",
    expects: "a DropReason name (POLICY_DENIED, POLICY_DENY, AUTH_REQUIRED, …)",
    example: "drop-reason=POLICY_DENIED",
    normalize: (raw) => enumName(DROP_REASON_NAMES, "drop reason", raw),
    toProto: (v) => DropReason[v as keyof typeof DropReason],
    fromProto: (e) => DropReasonSchema.values.find((v) => v.number === e)?.name ?? unknownEnum("drop reason", e),
  }),
  node: spec({
    kind: "node",
    directional: false,
    flag: "node-name",
    field: "nodeName",
    expects: "[cluster/]node-name, '*' matches any characters (k8s-worker*, prod/*)",
    example: "node=kind-worker",
    normalize(raw) {
      if (!/^[-0-9A-Za-z_.*]*(\/[-0-9A-Za-z_.*]*)?$/.test(raw) || raw === "" || raw === "/") {
        throw new ValueError("a node name pattern is [cluster/]node with letters, digits, '-', '_', '.' and '*'");
      }
      return raw;
    },
  }),
  "node-label": spec({
    kind: "node-label",
    directional: false,
    flag: "node-label",
    field: "nodeLabels",
    expects: "a node label selector (topology.kubernetes.io/zone=eu-1a)",
    example: "node-label=kubernetes.io/os=linux",
    normalize: nonEmpty("a node label selector"),
  }),
  "traffic-direction": spec({
    kind: "traffic-direction",
    directional: false,
    flag: "traffic-direction",
    field: "trafficDirection",
    expects: "ingress or egress",
    example: "traffic-direction=ingress",
    normalize(raw) {
      const lower = raw.toLowerCase();
      if (lower !== "ingress" && lower !== "egress") throw new ValueError("expected ingress or egress");
      return lower;
    },
    toProto: (v) => (v === "ingress" ? TrafficDirection.INGRESS : TrafficDirection.EGRESS),
    fromProto(e) {
      if (e === TrafficDirection.INGRESS) return "ingress";
      if (e === TrafficDirection.EGRESS) return "egress";
      throw new ValueError(`traffic direction ${String(e)} has no CLI spelling`);
    },
  }),
  type: spec({
    kind: "type",
    directional: false,
    flag: "type",
    short: "t",
    field: "eventType",
    expects: `an event type ${Object.keys(EVENT_TYPE_NAMES).join(", ")} or a number, optionally :SUBTYPE (trace:to-endpoint)`,
    example: "type=drop",
    normalize(raw) {
      const { type, subType } = parseEventType(raw);
      const typeText = EVENT_TYPE_NAME[type] ?? String(type);
      if (subType === undefined) return typeText;
      const subText = (type === TRACE_TYPE ? TRACE_POINT_NAME[subType] : undefined) ?? String(subType);
      return `${typeText}:${subText}`;
    },
    toProto(v): EventTypeFilter {
      const { type, subType } = parseEventType(v);
      return create(EventTypeFilterSchema, subType === undefined ? { type } : { type, matchSubType: true, subType });
    },
    fromProto(e) {
      const f = e as EventTypeFilter;
      if (f.type < 0) throw new ValueError(`event type ${f.type} has no CLI spelling`);
      const typeText = EVENT_TYPE_NAME[f.type] ?? String(f.type);
      if (!f.matchSubType) return typeText;
      if (f.subType < 0) throw new ValueError(`event sub-type ${f.subType} has no CLI spelling`);
      return `${typeText}:${(f.type === TRACE_TYPE ? TRACE_POINT_NAME[f.subType] : undefined) ?? String(f.subType)}`;
    },
  }),
  uuid: spec({
    kind: "uuid",
    directional: false,
    flag: "uuid",
    field: "uuid",
    expects: "a flow UUID",
    example: "uuid=b9fab269-04ae-495c-9d12-b6c36d41de0d",
    normalize(raw) {
      if (!/^[0-9A-Za-z-]+$/.test(raw)) throw new ValueError("a flow UUID has hex digits and '-'");
      return raw;
    },
  }),
  "tcp-flags": spec({
    kind: "tcp-flags",
    directional: false,
    flag: "tcp-flags",
    field: "tcpFlags",
    expects: `comma-separated flags that must all be set: ${TCP_FLAG_NAMES.join(", ")}`,
    example: "tcp-flags=SYN",
    normalize(raw) {
      const flags = raw.split(",").map((f) => f.toUpperCase());
      for (const f of flags) {
        if (!(TCP_FLAG_NAMES as readonly string[]).includes(f)) throw new ValueError(`unknown TCP flag "${f}"`);
      }
      return flags.join(",");
    },
    toProto(v): TCPFlags {
      const init: Record<string, boolean> = {};
      for (const f of v.split(",")) init[f] = true;
      return create(TCPFlagsSchema, init);
    },
    fromProto(e) {
      const flags = e as TCPFlags;
      const set = TCP_FLAG_NAMES.filter((f) => flags[f]);
      if (set.length === 0) throw new ValueError("an empty TCP flags filter");
      return set.join(",");
    },
  }),
  "ip-version": spec({
    kind: "ip-version",
    directional: false,
    flag: "ip-version",
    field: "ipVersion",
    expects: "v4, v6 or none",
    example: "ip-version=v6",
    normalize(raw) {
      const v = IP_VERSIONS[raw.toLowerCase()];
      if (!v) throw new ValueError("expected v4, v6 or none");
      return v;
    },
    toProto: (v) => (v === "v4" ? IPVersion.IPv4 : v === "v6" ? IPVersion.IPv6 : IPVersion.IP_NOT_USED),
    fromProto: (e) => (e === IPVersion.IPv4 ? "v4" : e === IPVersion.IPv6 ? "v6" : e === IPVersion.IP_NOT_USED ? "none" : unknownEnum("IP version", e)),
  }),
  "snat-ip": spec({
    kind: "snat-ip",
    directional: false,
    flag: "snat-ip",
    field: "sourceIpXlated",
    expects: "an IP address or CIDR",
    example: "snat-ip=192.0.2.1",
    normalize: checkIp,
  }),
  interface: spec({
    kind: "interface",
    directional: false,
    flag: "interface",
    field: "interface",
    expects: "a network interface name",
    example: "interface=eth0",
    normalize: nonEmpty("an interface name"),
    toProto: (v): NetworkInterface => create(NetworkInterfaceSchema, { name: v }),
    fromProto(e) {
      const i = e as NetworkInterface;
      if (i.index !== 0 || i.name === "") throw new ValueError("an interface filter by index");
      return i.name;
    },
  }),
  "trace-id": spec({
    kind: "trace-id",
    directional: false,
    flag: "trace-id",
    field: "traceId",
    expects: "a trace ID",
    example: "trace-id=4bf92f3577b34da6a3ce929d0e0e4736",
    normalize: nonEmpty("a trace ID"),
  }),
  // `--encrypted` / `--unencrypted` (the CLI has one flag per value): IP.encrypted, set by Cilium
  // on traffic that crossed nodes under WireGuard or IPsec transparent encryption.
  encrypted: spec({
    kind: "encrypted",
    directional: false,
    flag: "encrypted",
    field: "encrypted",
    expects: "true or false",
    example: "encrypted=true",
    normalize(raw) {
      const v = raw.toLowerCase();
      if (v === "true" || v === "yes") return "true";
      if (v === "false" || v === "no") return "false";
      throw new ValueError("expected true (encrypted between nodes) or false");
    },
    toProto: (v) => v === "true",
    fromProto: (e) => (e === true ? "true" : "false"),
  }),
};

function unknownEnum(what: string, e: unknown): never {
  throw new ValueError(`${what} ${String(e)} has no name`);
}

export function isFilterKind(s: string): s is FilterKind {
  return (FILTER_KINDS as readonly string[]).includes(s);
}
