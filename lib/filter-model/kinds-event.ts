import { create } from "@bufbuild/protobuf";
import { EVENT_TYPE_NAME, TRACE_POINT_NAME } from "@/lib/hubble-names";
import {
  DropReason,
  DropReasonSchema,
  EventTypeFilterSchema,
  IPVersion,
  NetworkInterfaceSchema,
  TCPFlagsSchema,
  TrafficDirection,
  type EventTypeFilter,
  type NetworkInterface,
  type TCPFlags,
} from "../../proto/gen/flow/flow_pb";
import { spec, ValueError, type FilterKind, type KindSpec } from "./kind-spec";
import { nonEmpty, EVENT_TYPE_NAMES, TRACE_TYPE, parseEventType, TCP_FLAG_NAMES, IP_VERSIONS, checkIp, enumName, DROP_REASON_NAMES, unknownEnum } from "./kind-values";

// The kinds about the event itself and where it was seen: drop reason, node, event type, TCP
// flags, interface, encryption and the like.
export const EVENT_KINDS: Readonly<
  Record<"drop-reason" | "node" | "node-label" | "traffic-direction" | "type" | "uuid" | "tcp-flags" | "ip-version" | "snat-ip" | "interface" | "trace-id" | "encrypted", KindSpec>
> = {
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
} satisfies Readonly<Partial<Record<FilterKind, KindSpec>>>;
