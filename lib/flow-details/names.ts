// Names for the numbers a flow carries (event types, trace points, policy match types, DNS rcodes),
// as the hubble CLI and Cilium's monitor API spell them. Pure and dependency-free, so the flow
// table can import it without pulling in the protobuf schemas.

import { EVENT_TYPE, EVENT_TYPE_NAME, TRACE_POINT_NAME } from "@/lib/hubble-names";

export { EVENT_TYPE_NAME, RESERVED_IDENTITY_NAME, TRACE_POINT_NAME } from "@/lib/hubble-names";

const TRACE = EVENT_TYPE.trace;
const DROP = EVENT_TYPE.drop;

/**
 * `trace:to-endpoint`, `drop:133`, `policy-verdict`, `l7`: the event type as `hubble observe --type`
 * spells it. The sub type is shown for trace (the observation point) and drop (the reason number)
 * events, where it says something; other types print their name alone unless the sub type is set.
 */
export function eventTypeName(type: number, subType: number): string {
  const name = EVENT_TYPE_NAME[type] ?? String(type);
  if (type === TRACE) return `${name}:${TRACE_POINT_NAME[subType] ?? String(subType)}`;
  if (type === DROP) return `${name}:${subType}`;
  return subType ? `${name}:${subType}` : name;
}

/** policy_match_type (pkg/monitor/api/types.go). Careful: 1 is L3-Only, 2 is L3-L4. */
export const POLICY_MATCH_TYPE_NAME: Readonly<Record<number, string>> = {
  0: "none",
  1: "L3-Only",
  2: "L3-L4",
  3: "L4-Only",
  4: "all",
  5: "L3-Proto",
  6: "Proto-Only",
};

export function policyMatchTypeName(value: number): string {
  return POLICY_MATCH_TYPE_NAME[value] ?? `unknown (${value})`;
}

/** DNS response codes (RFC 1035, 2136, 2845, 6895). */
export const DNS_RCODE_NAME: Readonly<Record<number, string>> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
  11: "DSOTYPENI",
  16: "BADSIG",
  17: "BADKEY",
  18: "BADTIME",
  19: "BADMODE",
  20: "BADNAME",
  21: "BADALG",
  22: "BADTRUNC",
  23: "BADCOOKIE",
};

export function dnsRcodeName(rcode: number): string {
  return DNS_RCODE_NAME[rcode] ?? `RCODE${rcode}`;
}

/** "12 ms", "1.25 s", "850 µs" from nanoseconds. */
export function formatLatency(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return "";
  if (ns >= 1e9) return `${trim(ns / 1e9)} s`;
  if (ns >= 1e6) return `${trim(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${trim(ns / 1e3)} µs`;
  return `${ns} ns`;
}

function trim(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n >= 10 ? n.toFixed(1).replace(/\.0$/, "") : n.toFixed(2).replace(/\.?0+$/, "");
}

// What the security fields of a flow mean, in one line each (the drawer shows them as the value).
// Values Hubble may add later are shown as they are.

/** `verdict`: AUDIT needs saying, the others speak for themselves. */
export function verdictText(v: unknown): string {
  const name = typeof v === "string" ? v : String(v);
  return name === "AUDIT" ? "AUDIT — the endpoint is in policy audit mode: its policies would have dropped this, Cilium let it through and reported it" : name;
}

/** `IP.encrypted`, which Cilium sets from the datapath's trace reason. */
export function encryptedText(v: unknown): string {
  return v === true ? "yes — sent between nodes encrypted (WireGuard or IPsec transparent encryption) and seen here after decryption" : "no";
}

/** `auth_type` of a policy verdict (flow.AuthType). */
export const AUTH_TYPE_TEXT: Readonly<Record<string, string>> = {
  DISABLED: "none — the rule that matched requires no mutual authentication",
  SPIRE: "SPIRE — the rule that matched requires mutual authentication (authentication.mode: required); the two identities had authenticated through SPIRE",
  TEST_ALWAYS_FAIL: "TEST_ALWAYS_FAIL — Cilium's test-only mode that always fails authentication",
};

export function authTypeText(v: unknown): string {
  const name = typeof v === "string" ? v : String(v);
  return AUTH_TYPE_TEXT[name] ?? name;
}
