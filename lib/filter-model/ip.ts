// IP / CIDR syntax as Hubble's server accepts it (Go netip.ParseAddr / ParsePrefix): the filter
// matcher's own parser (lib/filters/ip.ts), so what the filter bar accepts is what matches.
import { isValidAddr, parsePrefix } from "@/lib/filters/ip";

/** An address (`10.0.0.1`, `fd00::1`, `fe80::1%eth0`). */
export function isIpAddress(s: string): boolean {
  return isValidAddr(s);
}

/** An address (`10.0.0.1`, `fd00::1`) or a prefix (`10.0.0.0/8`, `fd00::/64`). */
export function isIpOrCidr(s: string): boolean {
  return s.includes("/") ? parsePrefix(s) !== null : isValidAddr(s);
}
