import type { Flow, FlowFilter, TCPFlags } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { isSet, quote, type FieldMatcher } from "./types";

type L4Case = NonNullable<Flow["l4"]>["protocol"]["case"];
type L7Case = NonNullable<Flow["l7"]>["record"]["case"];

/** Protocol names Hubble accepts, case-insensitively, and the flow sections they test. */
const L4_PROTOCOLS: Record<string, readonly L4Case[]> = {
  icmp: ["ICMPv4", "ICMPv6"],
  icmpv4: ["ICMPv4"],
  icmpv6: ["ICMPv6"],
  tcp: ["TCP"],
  udp: ["UDP"],
  sctp: ["SCTP"],
  vrrp: ["VRRP"],
  igmp: ["IGMP"],
};
const L7_PROTOCOLS: Record<string, L7Case> = { dns: "dns", http: "http", kafka: "kafka" };

/** L4 and L7 are tested independently: an HTTP flow also carries l4.TCP, so "tcp" matches it. */
export function buildProtocolMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.protocol)) return;
  const l4 = new Set<L4Case>();
  const l7 = new Set<L7Case>();
  for (const name of f.protocol) {
    const lower = name.toLowerCase();
    if (Object.prototype.hasOwnProperty.call(L4_PROTOCOLS, lower)) {
      for (const c of L4_PROTOCOLS[lower]) l4.add(c);
    } else if (Object.prototype.hasOwnProperty.call(L7_PROTOCOLS, lower)) {
      l7.add(L7_PROTOCOLS[lower]);
    } else {
      throw new FilterBuildError(`invalid protocol filter: unknown protocol: ${quote(name)}`);
    }
  }
  out.push((flow) => {
    const l4Case = flow.l4?.protocol?.case;
    if (l4Case !== undefined && l4.has(l4Case)) return true;
    const l7Case = flow.l7?.record?.case;
    return l7Case !== undefined && l7.has(l7Case);
  });
}

/** strconv.ParseUint(p, 10, 16): decimal digits only, no sign or spaces, at most 65535. */
function parsePort(text: string, side: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new FilterBuildError(`invalid ${side} port filter: invalid port ${quote(text)}: strconv.ParseUint: parsing ${quote(text)}: invalid syntax`);
  }
  const port = Number(text);
  if (port > 65535) {
    throw new FilterBuildError(`invalid ${side} port filter: invalid port ${quote(text)}: strconv.ParseUint: parsing ${quote(text)}: value out of range`);
  }
  return port;
}

/** Only TCP, UDP and SCTP carry ports; every other flow fails a port filter. */
function portMatcher(texts: readonly string[], side: "source" | "destination"): FieldMatcher {
  const ports = new Set(texts.map((t) => parsePort(t, side)));
  const source = side === "source";
  return (flow) => {
    const p = flow.l4?.protocol;
    if (!p || (p.case !== "TCP" && p.case !== "UDP" && p.case !== "SCTP")) return false;
    return ports.has(source ? p.value.sourcePort : p.value.destinationPort);
  };
}

export function buildPortMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourcePort)) out.push(portMatcher(f.sourcePort, "source"));
  if (isSet(f.destinationPort)) out.push(portMatcher(f.destinationPort, "destination"));
}

const FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const;

function flagBits(flags: TCPFlags): number {
  let bits = 0;
  for (let i = 0; i < FLAG_NAMES.length; i++) if (flags[FLAG_NAMES[i]]) bits |= 1 << i;
  return bits;
}

/**
 * Each entry is a set of flags that must all be present (SYN matches SYN+ACK);
 * entries are OR'ed. An empty entry matches any flow that has TCP flags. A flow
 * without TCP flags never matches.
 */
export function buildTCPFlagsMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.tcpFlags)) return;
  const wanted = f.tcpFlags.map(flagBits);
  out.push((flow) => {
    const p = flow.l4?.protocol;
    if (p?.case !== "TCP" || !p.value.flags) return false;
    const have = flagBits(p.value.flags);
    for (let i = 0; i < wanted.length; i++) {
      if ((have & wanted[i]) === wanted[i]) return true;
    }
    return false;
  });
}
