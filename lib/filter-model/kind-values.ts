// The values filter kinds accept: checks that throw a ValueError saying what is valid, and the
// names of Hubble's enums (verdicts, drop reasons, event types, trace points, TCP flags, …).
import { EVENT_TYPE, EVENT_TYPE_NUMBER, RESERVED_IDENTITY_NUMBER, TRACE_POINT_NUMBER } from "@/lib/hubble-names";
import { DropReasonSchema, Verdict, VerdictSchema } from "../../proto/gen/flow/flow_pb";
import { isIpOrCidr } from "./ip";
import { ValueError } from "./kind-spec";

/** Names of the Verdict enum, e.g. "DROPPED". */
export type VerdictName = keyof typeof Verdict;
export const VERDICT_NAMES: readonly VerdictName[] = VerdictSchema.values.map((v) => v.name as VerdictName);
export const DROP_REASON_NAMES: readonly string[] = DropReasonSchema.values.map((v) => v.name);

export const nonEmpty = (what: string) => (raw: string) => {
  if (raw === "") throw new ValueError(`${what} must not be empty`);
  return raw;
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export function checkNamespaceName(raw: string): string {
  if (!DNS_LABEL.test(raw)) {
    throw new ValueError("a namespace is a DNS label: lower-case letters, digits and '-', at most 63 characters");
  }
  return raw;
}

export function namespacedName(what: string) {
  return (raw: string) => {
    if (raw === "") throw new ValueError(`${what} name must not be empty`);
    if (/\s/.test(raw)) throw new ValueError(`${what} name must not contain spaces`);
    if (raw.split("/").length > 2) throw new ValueError(`${what} name is [namespace/]name-prefix, with at most one '/'`);
    return raw;
  };
}

/** Reserved security identities by name (cilium pkg/identity, `GetReservedID`). */
export const RESERVED_IDENTITIES = RESERVED_IDENTITY_NUMBER;

export function parseUint(raw: string, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/** CLI `--type` names (monitor API message types usable with `hubble observe`). */
export const EVENT_TYPE_NAMES = EVENT_TYPE_NUMBER;
export const TRACE_TYPE = EVENT_TYPE.trace;
/** `--type trace:<point>` sub-type names (monitor API TraceObservationPoints). */
export const TRACE_POINT_NAMES = TRACE_POINT_NUMBER;

export function parseEventType(raw: string): { type: number; subType?: number } {
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

export const TCP_FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const;

export const PROTOCOLS = ["icmp", "icmpv4", "icmpv6", "tcp", "udp", "sctp", "vrrp", "igmp", "dns", "http", "kafka"];

export const IP_VERSIONS: Readonly<Record<string, "v4" | "v6" | "none">> = {
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

export function checkIp(raw: string): string {
  if (!isIpOrCidr(raw)) throw new ValueError("expected an IP address (10.0.0.1, fd00::1) or a CIDR (10.0.0.0/8)");
  return raw;
}

export function enumName(names: readonly string[], what: string, raw: string): string {
  const upper = raw.toUpperCase();
  if (!names.includes(upper)) throw new ValueError(`unknown ${what} "${raw}"`);
  return upper;
}

export function unknownEnum(what: string, e: unknown): never {
  throw new ValueError(`${what} ${String(e)} has no name`);
}
