// The text the flow table (and the CSV export) shows for a row, computed once per FlowRow object
// and cached in a WeakMap, so rendering 100,000 rows never recomputes strings and evicted rows are
// collected with their text. Pure: no React, no proto schemas (safe for the table bundle).
import type { FlowEndpointView, FlowL7View, FlowRow, PolicyRef } from "../flow-model";
import { dnsRcodeName, eventTypeName, formatLatency, policyMatchTypeName } from "./names";

export type VerdictTone = "forwarded" | "dropped" | "audit" | "redirected" | "error" | "other";

export interface FlowDisplay {
  /** HH:MM:SS.mmm in UTC. */
  readonly time: string;
  /** The full RFC 3339 time as Hubble sent it (nanoseconds). */
  readonly timeTitle: string;
  readonly source: string;
  readonly sourceTitle: string;
  readonly destination: string;
  readonly destinationTitle: string;
  /** "80/TCP", "UDP", "ICMPv4"; empty when the flow has no L4. */
  readonly port: string;
  readonly portTitle: string;
  /** "GET 503 /v1/cart 12 ms", "DNS A example.com. NXDOMAIN", "Kafka orders". */
  readonly l7: string;
  readonly l7Title: string;
  readonly verdict: string;
  readonly verdictTone: VerdictTone;
  readonly dropReason: string;
  /** "denied by shop/x" / "allowed by shop/y" from `*_denied_by` / `*_allowed_by`; "" when none. */
  readonly policy: string;
  /** Just the policy names, for a narrow cell; `policyTone` says which list they come from. */
  readonly policyNames: string;
  readonly policyTone: "denied" | "allowed" | "";
  readonly policyTitle: string;
  /** "ingress", "egress" or ""; "↩" marks replies. */
  readonly direction: string;
  readonly node: string;
  /** "trace:to-endpoint", "drop:133", "policy-verdict", "l7". */
  readonly eventType: string;
  readonly eventTypeTitle: string;
}

const cache = new WeakMap<FlowRow, FlowDisplay>();

export function flowDisplay(row: FlowRow): FlowDisplay {
  let d = cache.get(row);
  if (!d) {
    d = computeDisplay(row);
    cache.set(row, d);
  }
  return d;
}

/** "12:03:04.567" (UTC) from a row; "" when the time is missing. */
export function utcClock(row: Pick<FlowRow, "time" | "timeMs">): string {
  if (!Number.isFinite(row.timeMs) || row.timeMs === 0) return row.time.slice(11, 23);
  return new Date(row.timeMs).toISOString().slice(11, 23);
}

function computeDisplay(row: FlowRow): FlowDisplay {
  const l7 = l7Text(row.l7);
  const policy = policyText(row.deniedBy, row.allowedBy);
  const et = eventTypeName(row.eventType, row.eventSubType);
  return {
    time: utcClock(row),
    timeTitle: row.time,
    source: endpointText(row.source),
    sourceTitle: endpointTitle(row.source),
    destination: endpointText(row.destination),
    destinationTitle: endpointTitle(row.destination),
    port: portText(row),
    portTitle: portTitle(row),
    l7,
    l7Title: row.l7 ? l7Title(row.l7, l7) : "",
    verdict: row.verdict === "VERDICT_UNKNOWN" ? "" : row.verdict,
    verdictTone: verdictTone(row.verdict),
    dropReason: row.dropReason,
    policy,
    policyNames: (row.deniedBy.length > 0 ? row.deniedBy : row.allowedBy).map(policyName).join(", "),
    policyTone: row.deniedBy.length > 0 ? "denied" : row.allowedBy.length > 0 ? "allowed" : "",
    policyTitle: policy ? policyTitle(row) : "",
    direction: directionText(row),
    node: row.node,
    eventType: et,
    eventTypeTitle: eventTypeTitle(row, et),
  };
}

export function verdictTone(verdict: string): VerdictTone {
  switch (verdict) {
    case "FORWARDED":
      return "forwarded";
    case "DROPPED":
      return "dropped";
    case "AUDIT":
      return "audit";
    case "REDIRECTED":
      return "redirected";
    case "ERROR":
      return "error";
    default:
      return "other";
  }
}

/** namespace/pod, else namespace/workload, else a DNS name, else the entity (world, host…), else the IP. */
export function endpointText(ep: FlowEndpointView): string {
  if (ep.pod) return ep.namespace ? `${ep.namespace}/${ep.pod}` : ep.pod;
  if (ep.workload) return ep.namespace ? `${ep.namespace}/${ep.workload}` : ep.workload;
  if (ep.names.length > 0) return ep.names[0];
  if (ep.entity) return ep.ip ? `${ep.entity} ${ep.ip}` : ep.entity;
  if (ep.ip) return ep.ip;
  if (ep.identity) return `identity ${ep.identity}`;
  return "";
}

function endpointTitle(ep: FlowEndpointView): string {
  const lines: string[] = [];
  const main = endpointText(ep);
  if (main) lines.push(main);
  if (ep.workload) lines.push(`workload ${ep.workloadKind ? `${ep.workloadKind}/` : ""}${ep.workload}`);
  if (ep.ip) lines.push(ep.port !== undefined ? `${ep.ip}:${ep.port}` : ep.ip);
  if (ep.names.length > 1 || (ep.names.length === 1 && main !== ep.names[0])) lines.push(ep.names.slice(0, 5).join(", "));
  if (ep.service) lines.push(`service ${ep.service}`);
  if (ep.identity) lines.push(`identity ${ep.identity}`);
  if (ep.cluster) lines.push(`cluster ${ep.cluster}`);
  return lines.join("\n");
}

function portText(row: FlowRow): string {
  if (!row.l4Protocol) return "";
  const port = row.destination.port;
  return port !== undefined ? `${port}/${row.l4Protocol}` : row.l4Protocol;
}

function portTitle(row: FlowRow): string {
  if (!row.l4Protocol) return "";
  const parts = [`${row.l4Protocol} ${row.source.port ?? "?"} → ${row.destination.port ?? "?"}`];
  if (row.tcpFlags.length > 0) parts.push(`flags ${row.tcpFlags.join(",")}`);
  return parts.join("\n");
}

export function l7Text(l7: FlowL7View | undefined): string {
  if (!l7) return "";
  const latency = l7.latencyNs !== undefined && l7.latencyNs > 0 ? formatLatency(l7.latencyNs) : "";
  switch (l7.kind) {
    case "http":
      return join([l7.httpMethod, l7.httpCode ? String(l7.httpCode) : "", l7.httpPath || l7.httpUrl, latency]);
    case "dns": {
      const rcode = l7.type === "RESPONSE" || (l7.dnsRcode ?? 0) !== 0 ? dnsRcodeName(l7.dnsRcode ?? 0) : "";
      return join(["DNS", (l7.dnsQtypes ?? []).join(","), l7.dnsQuery, rcode, latency]);
    }
    case "kafka":
      return join(["Kafka", l7.kafkaApiKey, l7.kafkaTopic, l7.kafkaErrorCode ? `error ${l7.kafkaErrorCode}` : "", latency]);
    default:
      return join(["L7", l7.type, latency]);
  }
}

function l7Title(l7: FlowL7View, text: string): string {
  const lines = [`${l7.type}`, text];
  if (l7.kind === "http" && l7.httpUrl) lines.push(l7.httpUrl);
  if (l7.kind === "dns" && l7.dnsIps && l7.dnsIps.length > 0) lines.push(l7.dnsIps.slice(0, 10).join(", "));
  return lines.join("\n");
}

function join(parts: readonly (string | undefined)[]): string {
  return parts.filter((p) => p).join(" ");
}

export function policyName(p: PolicyRef): string {
  const name = p.name || p.kind || "(unnamed)";
  return p.namespace ? `${p.namespace}/${name}` : name;
}

function policyText(denied: readonly PolicyRef[], allowed: readonly PolicyRef[]): string {
  if (denied.length > 0) return `denied by ${denied.map(policyName).join(", ")}`;
  if (allowed.length > 0) return `allowed by ${allowed.map(policyName).join(", ")}`;
  return "";
}

function policyTitle(row: FlowRow): string {
  const lines: string[] = [];
  for (const p of row.deniedBy) lines.push(`denied by ${p.kind ? `${p.kind} ` : ""}${policyName(p)}`);
  for (const p of row.allowedBy) lines.push(`allowed by ${p.kind ? `${p.kind} ` : ""}${policyName(p)}`);
  if (row.policyMatchType) lines.push(`match ${policyMatchTypeName(row.policyMatchType)}`);
  return lines.join("\n");
}

function directionText(row: FlowRow): string {
  const d = row.direction === "INGRESS" ? "ingress" : row.direction === "EGRESS" ? "egress" : "";
  return row.isReply ? `${d} ↩`.trim() : d;
}

function eventTypeTitle(row: FlowRow, name: string): string {
  const lines = [`${name} (${row.eventType}:${row.eventSubType})`];
  if (row.eventType === 1 && row.dropReason) lines.push(row.dropReason);
  if (row.traceObservationPoint) lines.push(row.traceObservationPoint);
  if (row.isReply) lines.push("reply");
  return lines.join("\n");
}
