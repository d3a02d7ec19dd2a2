// Flow rows as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote, CR or LF
// in double quotes with quotes doubled). Flow text is attacker-controlled, so a cell that a
// spreadsheet would read as a formula (starting with = + - @ TAB or CR) gets a leading single quote
// (OWASP "CSV injection"): the cell then shows the text instead of evaluating it.
import type { FlowEndpointView, FlowRow } from "../flow-model";
import { flowDisplay, policyName } from "../flow-details/display";
import { policyMatchTypeName } from "../flow-details/names";

interface Column {
  readonly header: string;
  readonly value: (row: FlowRow) => string | number | boolean | undefined;
}

function endpointColumns(prefix: "source" | "destination", get: (row: FlowRow) => FlowEndpointView): Column[] {
  return [
    { header: `${prefix}_namespace`, value: (r) => get(r).namespace },
    { header: `${prefix}_pod`, value: (r) => get(r).pod },
    { header: `${prefix}_workload`, value: (r) => (get(r).workload ? `${get(r).workloadKind ? `${get(r).workloadKind}/` : ""}${get(r).workload}` : "") },
    { header: `${prefix}_identity`, value: (r) => get(r).identity || "" },
    { header: `${prefix}_entity`, value: (r) => get(r).entity ?? "" },
    { header: `${prefix}_ip`, value: (r) => get(r).ip },
    { header: `${prefix}_port`, value: (r) => get(r).port },
    { header: `${prefix}_names`, value: (r) => get(r).names.join(" ") },
    { header: `${prefix}_service`, value: (r) => get(r).service },
    { header: `${prefix}_labels`, value: (r) => get(r).labels.join(" ") },
  ];
}

export const CSV_COLUMNS: readonly Column[] = [
  { header: "time", value: (r) => r.time },
  { header: "id", value: (r) => r.id },
  { header: "verdict", value: (r) => r.verdict },
  { header: "drop_reason", value: (r) => r.dropReason },
  { header: "event_type", value: (r) => flowDisplay(r).eventType },
  { header: "source", value: (r) => flowDisplay(r).source },
  { header: "destination", value: (r) => flowDisplay(r).destination },
  ...endpointColumns("source", (r) => r.source),
  ...endpointColumns("destination", (r) => r.destination),
  { header: "protocol", value: (r) => r.l4Protocol },
  { header: "tcp_flags", value: (r) => r.tcpFlags.join(",") },
  { header: "l7_type", value: (r) => r.l7?.type },
  { header: "l7_summary", value: (r) => flowDisplay(r).l7 },
  { header: "http_method", value: (r) => r.l7?.httpMethod },
  { header: "http_status", value: (r) => r.l7?.httpCode || "" },
  { header: "http_url", value: (r) => r.l7?.httpUrl },
  { header: "dns_query", value: (r) => r.l7?.dnsQuery },
  { header: "dns_rcode", value: (r) => (r.l7?.kind === "dns" ? r.l7.dnsRcode : "") },
  { header: "kafka_topic", value: (r) => r.l7?.kafkaTopic },
  { header: "latency_ns", value: (r) => r.l7?.latencyNs },
  { header: "traffic_direction", value: (r) => r.direction },
  { header: "is_reply", value: (r) => r.isReply },
  { header: "node", value: (r) => r.node },
  { header: "trace_observation_point", value: (r) => r.traceObservationPoint },
  { header: "policy_match_type", value: (r) => (r.policyMatchType ? policyMatchTypeName(r.policyMatchType) : "") },
  { header: "allowed_by", value: (r) => r.allowedBy.map(policyName).join(" ") },
  { header: "denied_by", value: (r) => r.deniedBy.map(policyName).join(" ") },
  { header: "summary", value: (r) => r.summary },
];

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV cell: neutralised against formula injection, then quoted per RFC 4180 when needed. */
export function csvCell(value: string | number | boolean | undefined | null): string {
  let text = value === undefined || value === null ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line and one line per row, without line ends (for Blob parts on big exports). */
export function csvLines(rows: readonly FlowRow[]): string[] {
  const lines = [CSV_COLUMNS.map((c) => csvCell(c.header)).join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(c.value(row))).join(","));
  return lines;
}

/** The whole CSV document, CRLF after every record (the header included). */
export function toCsv(rows: readonly FlowRow[]): string {
  return `${csvLines(rows).join("\r\n")}\r\n`;
}
