import type { Flow, FlowFilter, IPVersion } from "@/proto/gen/flow/flow_pb";
import { FilterBuildError } from "./errors";
import { isValidAddr, parsePrefix, prefixContains, type Prefix } from "./ip";
import { isSet, quote, type FieldMatcher } from "./types";

type IPGetter = (flow: Flow) => string | undefined;

/**
 * Entries without "/" match the flow address by exact string equality (as Hubble
 * does: "::1" does not equal "0::1"); entries with "/" are prefixes. An empty flow
 * address never matches.
 */
function ipMatcher(entries: readonly string[], getIP: IPGetter): FieldMatcher {
  const exact = new Set<string>();
  const prefixes: Prefix[] = [];
  for (const entry of entries) {
    if (entry.includes("/")) {
      const prefix = parsePrefix(entry);
      if (prefix === null) throw new FilterBuildError(`invalid CIDR in filter: ${quote(entry)}`);
      prefixes.push(prefix);
    } else {
      if (!isValidAddr(entry)) throw new FilterBuildError(`invalid IP address in filter: ${quote(entry)}`);
      exact.add(entry);
    }
  }
  return (flow) => {
    const ip = getIP(flow);
    if (!ip) return false;
    if (exact.has(ip)) return true;
    for (let i = 0; i < prefixes.length; i++) {
      if (prefixContains(prefixes[i], ip)) return true;
    }
    return false;
  };
}

export function buildAddressMatchers(f: FlowFilter, out: FieldMatcher[]): void {
  if (isSet(f.sourceIp)) out.push(ipMatcher(f.sourceIp, (flow) => flow.IP?.source));
  if (isSet(f.destinationIp)) out.push(ipMatcher(f.destinationIp, (flow) => flow.IP?.destination));
  if (isSet(f.sourceIpXlated)) out.push(ipMatcher(f.sourceIpXlated, (flow) => flow.IP?.sourceXlated));
}

/** A flow without an IP section has version IP_NOT_USED (0), like Go's zero value. */
export function buildIPVersionMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.ipVersion)) return;
  const versions = new Set<IPVersion>(f.ipVersion);
  out.push((flow) => versions.has(flow.IP?.ipVersion ?? 0));
}

/** A flow without an IP section counts as not encrypted. */
export function buildEncryptedMatcher(f: FlowFilter, out: FieldMatcher[]): void {
  if (!isSet(f.encrypted)) return;
  const wantTrue = f.encrypted.includes(true);
  const wantFalse = f.encrypted.includes(false);
  out.push((flow) => (flow.IP?.encrypted === true ? wantTrue : wantFalse));
}
