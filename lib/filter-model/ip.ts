// IP / CIDR syntax check matching what Hubble's server accepts (Go netip.ParseAddr / ParsePrefix):
// dotted-quad IPv4 without leading zeros, RFC 4291 IPv6 text (with an embedded IPv4 tail),
// and a prefix length within the address family. Pure string work: no `node:net`, so it runs in
// the browser too.

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string, allowZone: boolean): boolean {
  let addr = s;
  const pct = addr.indexOf("%");
  if (pct >= 0) {
    if (!allowZone || pct === addr.length - 1) return false;
    addr = addr.slice(0, pct);
  }
  const halves = addr.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (h: string): string[] | undefined => (h === "" ? [] : h.split(":"));
  let count = 0;
  for (let i = 0; i < halves.length; i++) {
    const groups = groupsOf(halves[i]);
    if (!groups) return false;
    for (let j = 0; j < groups.length; j++) {
      const g = groups[j];
      const isLast = i === halves.length - 1 && j === groups.length - 1;
      if (isLast && g.includes(".")) {
        if (!isIPv4(g)) return false;
        count += 2;
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        count += 1;
      } else {
        return false;
      }
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isIpAddress(s: string): boolean {
  return isIPv4(s) || isIPv6(s, true);
}

/** An address (`10.0.0.1`, `fd00::1`) or a prefix (`10.0.0.0/8`, `fd00::/64`). */
export function isIpOrCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return isIpAddress(s);
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  if (isIPv4(addr)) return Number(bits) <= 32;
  if (isIPv6(addr, false)) return Number(bits) <= 128;
  return false;
}
