// Where each field of a flow goes: one rule per section, in the order flowDetailSections runs
// them (a field claimed by an earlier rule is not shown again).
import type { JsonObject } from "@bufbuild/protobuf";
import { MAX_LIST } from "../flow-model";
import {
  filterEntryForCluster,
  filterEntryForDropReason,
  filterEntryForEncrypted,
  filterEntryForEventType,
  filterEntryForFqdn,
  filterEntryForHttpHeader,
  filterEntryForHttpMethod,
  filterEntryForHttpStatus,
  filterEntryForHttpUrl,
  filterEntryForHttpUrlPath,
  filterEntryForIdentity,
  filterEntryForInterface,
  filterEntryForIp,
  filterEntryForIpVersion,
  filterEntryForLabel,
  filterEntryForNamespace,
  filterEntryForNode,
  filterEntryForNodeLabel,
  filterEntryForPod,
  filterEntryForPort,
  filterEntryForProtocol,
  filterEntryForService,
  filterEntryForSnatIp,
  filterEntryForTcpFlags,
  filterEntryForTraceId,
  filterEntryForTrafficDirection,
  filterEntryForUuid,
  filterEntryForVerdict,
  filterEntryForWorkload,
  type Side,
} from "./filter-entries";
import { requestURIPath } from "../filters/url";
import { authTypeText, dnsRcodeName, encryptedText, eventTypeName, formatLatency, policyMatchTypeName, RESERVED_IDENTITY_NAME, verdictText } from "./names";
import { Collector, str, num, isObject, scalarText, bound } from "./collector";

export function summary(c: Collector): void {
  c.leaf("summary", "Time", ["time"]);
  c.leaf("summary", "UUID", ["uuid"], { filter: (v) => filterEntryForUuid(str(v)) });
  c.leaf("summary", "Flow type", ["Type"]);
  c.leaf("summary", "Traffic direction", ["traffic_direction"], { filter: (v) => filterEntryForTrafficDirection(str(v)) });
  c.leaf("summary", "Summary", ["Summary"]);
}

export function endpoint(c: Collector, side: Side): void {
  const ep = side;
  const ns = str(c.get([ep, "namespace"]));
  c.leaf(side, "Namespace", [ep, "namespace"], { filter: (v) => filterEntryForNamespace(side, str(v)) });
  c.leaf(side, "Pod", [ep, "pod_name"], { filter: (v) => filterEntryForPod(side, ns, str(v)) });
  const workloads = c.get([ep, "workloads"]);
  if (Array.isArray(workloads)) {
    workloads.forEach((w, i) => {
      if (i >= MAX_LIST || !isObject(w)) return;
      const kind = str(w.kind);
      const name = str(w.name);
      const text = kind ? `${kind}/${name}` : name;
      c.add(
        side,
        "Workload",
        text,
        [
          [ep, "workloads", i, "kind"],
          [ep, "workloads", i, "name"],
        ],
        filterEntryForWorkload(side, { kind, name }),
      );
    });
    c.more(side, "Workload", [ep, "workloads"], workloads.length);
  }
  c.leaf(side, "Identity", [ep, "identity"], {
    text: (v) => {
      const n = num(v);
      const name = n === undefined ? undefined : RESERVED_IDENTITY_NAME[n];
      return name ? `${scalarText(v)} (reserved:${name})` : scalarText(v);
    },
    filter: (v) => filterEntryForIdentity(side, num(v) ?? 0),
  });
  c.leaf(side, "Endpoint ID", [ep, "ID"]);
  c.leaf(side, "Cluster", [ep, "cluster_name"], { filter: (v) => filterEntryForCluster(side, str(v)) });
  c.list(side, "Label", [ep, "labels"], (l) => filterEntryForLabel(side, l));
  c.rest(side, "Endpoint", [ep]);
  c.leaf(side, "IP", ["IP", side], { filter: (v) => filterEntryForIp(side, str(v)) });
  if (side === "source") c.leaf(side, "SNAT IP", ["IP", "source_xlated"], { filter: (v) => filterEntryForSnatIp(str(v)) });
  c.leaf(side, "MAC", ["ethernet", side]);
  c.list(side, "DNS name", [`${side}_names`], (n) => filterEntryForFqdn(side, n));
  const svc = c.get([`${side}_service`]);
  if (isObject(svc)) {
    const name = str(svc.name);
    const svcNs = str(svc.namespace);
    c.add(
      side,
      "Service",
      svcNs ? `${svcNs}/${name}` : name,
      [
        [`${side}_service`, "namespace"],
        [`${side}_service`, "name"],
      ],
      filterEntryForService(side, svcNs, name),
    );
    c.rest(side, "Service", [`${side}_service`]);
  }
}

const PORTED = new Set(["TCP", "UDP", "SCTP"]);

export function l4(c: Collector): void {
  const body = c.get(["l4"]);
  if (isObject(body)) {
    for (const proto of Object.keys(body)) {
      const inner = body[proto];
      const empty = !isObject(inner) || Object.keys(inner).length === 0;
      // The protocol is the key itself; it claims the leaf only when the body is empty.
      c.add("l4", "Protocol", proto, empty ? [["l4", proto]] : [], filterEntryForProtocol(proto), `protocol:${proto}`);
      if (PORTED.has(proto)) {
        c.leaf("l4", "Source port", ["l4", proto, "source_port"], { filter: (v) => filterEntryForPort("source", num(v) ?? -1) });
        c.leaf("l4", "Destination port", ["l4", proto, "destination_port"], { filter: (v) => filterEntryForPort("destination", num(v) ?? -1) });
      }
      const flags = c.get(["l4", proto, "flags"]);
      if (isObject(flags)) {
        const keys = Object.keys(flags);
        const set = keys.filter((k) => flags[k] === true);
        const text = keys.map((k) => (flags[k] === true ? k : `${k}=${scalarText(flags[k])}`)).join(", ");
        c.add(
          "l4",
          "TCP flags",
          text,
          keys.map((k) => ["l4", proto, "flags", k]),
          filterEntryForTcpFlags(set),
        );
      }
      if (proto.startsWith("ICMP")) {
        c.leaf("l4", `${proto} type`, ["l4", proto, "type"]);
        c.leaf("l4", `${proto} code`, ["l4", proto, "code"]);
      }
      c.rest("l4", proto, ["l4", proto]);
    }
  }
  c.leaf("l4", "IP version", ["IP", "ipVersion"], { filter: (v) => filterEntryForIpVersion(str(v)) });
  c.leaf("l4", "Encrypted", ["IP", "encrypted"], { text: encryptedText, filter: (v) => filterEntryForEncrypted(v === true) });
  c.rest("l4", "Tunnel", ["tunnel"]);
}

export function l7(c: Collector): void {
  const l7 = c.get(["l7"]);
  if (!isObject(l7)) return;
  const record = ["http", "dns", "kafka"].find((k) => l7[k] !== undefined);
  if (record) c.add("l7", "Record", record.toUpperCase(), [], filterEntryForProtocol(record), "l7-record");
  c.leaf("l7", "L7 type", ["l7", "type"]);
  c.leaf("l7", "Latency", ["l7", "latency_ns"], {
    text: (v) => {
      const ns = num(v);
      return ns === undefined ? scalarText(v) : `${formatLatency(ns)} (${scalarText(v)} ns)`;
    },
  });

  // HTTP
  c.leaf("l7", "HTTP method", ["l7", "http", "method"], { filter: (v) => filterEntryForHttpMethod(str(v)) });
  c.leaf("l7", "HTTP status", ["l7", "http", "code"], { filter: (v) => filterEntryForHttpStatus(num(v) ?? 0) });
  const url = c.get(["l7", "http", "url"]);
  if (typeof url === "string") {
    const path = requestURIPath(url);
    if (path !== null) c.add("l7", "HTTP path", path, [], filterEntryForHttpUrlPath(url), "http-path");
  }
  c.leaf("l7", "HTTP URL", ["l7", "http", "url"], { filter: (v) => filterEntryForHttpUrl(str(v)) });
  c.leaf("l7", "HTTP protocol", ["l7", "http", "protocol"]);
  const headers = c.get(["l7", "http", "headers"]);
  if (Array.isArray(headers)) {
    headers.forEach((h, i) => {
      if (i >= MAX_LIST || !isObject(h)) return;
      const key = str(h.key);
      const value = str(h.value);
      c.add(
        "l7",
        `Header ${key}`,
        value,
        [
          ["l7", "http", "headers", i, "key"],
          ["l7", "http", "headers", i, "value"],
        ],
        filterEntryForHttpHeader(key, value),
      );
    });
    c.more("l7", "Header", ["l7", "http", "headers"], headers.length);
  }
  c.rest("l7", "HTTP", ["l7", "http"]);

  // DNS
  c.leaf("l7", "DNS query", ["l7", "dns", "query"]);
  c.list("l7", "DNS query type", ["l7", "dns", "qtypes"]);
  c.leaf("l7", "DNS rcode", ["l7", "dns", "rcode"], {
    text: (v) => {
      const n = num(v);
      return n === undefined ? scalarText(v) : `${dnsRcodeName(n)} (${n})`;
    },
  });
  c.list("l7", "DNS answer IP", ["l7", "dns", "ips"]);
  c.list("l7", "DNS CNAME", ["l7", "dns", "cnames"]);
  c.list("l7", "DNS record type", ["l7", "dns", "rrtypes"]);
  c.leaf("l7", "DNS TTL", ["l7", "dns", "ttl"]);
  c.leaf("l7", "DNS observation source", ["l7", "dns", "observation_source"]);
  c.rest("l7", "DNS", ["l7", "dns"]);

  // Kafka
  c.leaf("l7", "Kafka topic", ["l7", "kafka", "topic"]);
  c.leaf("l7", "Kafka API key", ["l7", "kafka", "api_key"]);
  c.leaf("l7", "Kafka API version", ["l7", "kafka", "api_version"]);
  c.leaf("l7", "Kafka error code", ["l7", "kafka", "error_code"]);
  c.leaf("l7", "Kafka correlation ID", ["l7", "kafka", "correlation_id"]);
  c.rest("l7", "Kafka", ["l7", "kafka"]);
  c.rest("l7", "L7", ["l7"]);
}

const POLICY_LISTS: readonly [string, string][] = [
  ["ingress_allowed_by", "Ingress allowed by"],
  ["egress_allowed_by", "Egress allowed by"],
  ["ingress_denied_by", "Ingress denied by"],
  ["egress_denied_by", "Egress denied by"],
];

export function policy(c: Collector): void {
  const verdict = str(c.get(["verdict"]));
  c.leaf("policy", "Verdict", ["verdict"], { text: verdictText, filter: (v) => filterEntryForVerdict(str(v)) });
  c.leaf("policy", "Drop reason", ["drop_reason_desc"], { filter: (v) => filterEntryForDropReason(str(v), verdict) });
  c.leaf("policy", "Drop reason code (deprecated)", ["drop_reason"]);
  c.leaf("policy", "Policy match type", ["policy_match_type"], {
    text: (v) => {
      const n = num(v);
      return n === undefined ? scalarText(v) : `${policyMatchTypeName(n)} (${n})`;
    },
  });
  for (const [key, listLabel] of POLICY_LISTS) {
    // On an AUDIT verdict the denied_by policies did not drop anything: they would have.
    const label = verdict === "AUDIT" ? listLabel.replace(" denied by", " would be denied by") : listLabel;
    const list = c.get([key]);
    if (!Array.isArray(list)) continue;
    list.forEach((p, i) => {
      if (i >= MAX_LIST || !isObject(p)) return;
      const labels = Array.isArray(p.labels) ? p.labels.slice(0, MAX_LIST).map(scalarText) : [];
      c.add("policy", label, policyText(p, labels), [
        [key, i, "kind"],
        [key, i, "namespace"],
        [key, i, "name"],
        [key, i, "revision"],
        ...labels.map((_, j) => [key, i, "labels", j]),
      ]);
      c.rest("policy", label, [key, i]);
    });
    c.more("policy", label, [key], list.length);
  }
  c.list("policy", "Policy log", ["policy_log"]);
  c.leaf("policy", "Auth type", ["auth_type"], { text: authTypeText });
}

function policyText(p: JsonObject, labels: readonly string[]): string {
  const ns = str(p.namespace);
  const name = str(p.name) || "(no name)";
  let text = `${str(p.kind) ? `${str(p.kind)} ` : ""}${ns ? `${ns}/` : ""}${name}`;
  if (p.revision !== undefined) text += ` · revision ${scalarText(p.revision)}`;
  if (labels.length > 0) text += ` · labels: ${labels.join(", ")}`;
  return bound(text);
}

export function trace(c: Collector): void {
  const et = c.get(["event_type"]);
  if (isObject(et)) {
    const type = num(et.type) ?? 0;
    const sub = num(et.sub_type) ?? 0;
    c.add(
      "trace",
      "Event type",
      `${eventTypeName(type, sub)} (${type}:${sub})`,
      [
        ["event_type", "type"],
        ["event_type", "sub_type"],
      ],
      filterEntryForEventType(type, sub),
    );
    c.rest("trace", "Event type", ["event_type"]);
  }
  c.leaf("trace", "Observation point", ["trace_observation_point"]);
  c.leaf("trace", "Trace reason", ["trace_reason"]);
  c.leaf("trace", "Is reply", ["is_reply"]);
  c.leaf("trace", "Reply (deprecated)", ["reply"]);
  const iface = c.get(["interface"]);
  if (isObject(iface)) {
    const name = str(iface.name);
    const index = iface.index;
    const text = index !== undefined ? `${name || "(no name)"} (index ${scalarText(index)})` : name;
    c.add(
      "trace",
      "Interface",
      text,
      [
        ["interface", "name"],
        ["interface", "index"],
      ],
      name ? filterEntryForInterface(name) : undefined,
    );
    c.rest("trace", "Interface", ["interface"]);
  }
  c.leaf("trace", "Proxy port", ["proxy_port"]);
  c.leaf("trace", "Trace ID", ["trace_context", "parent", "trace_id"], { filter: (v) => filterEntryForTraceId(str(v)) });
  c.rest("trace", "Trace context", ["trace_context"]);
  c.leaf("trace", "IP trace ID", ["ip_trace_id", "trace_id"]);
  c.leaf("trace", "IP option type", ["ip_trace_id", "ip_option_type"]);
  c.rest("trace", "IP trace", ["ip_trace_id"]);
  const file = c.get(["file"]);
  if (isObject(file)) {
    const text = file.line !== undefined ? `${str(file.name)}:${scalarText(file.line)}` : str(file.name);
    c.add("trace", "BPF source", text, [
      ["file", "name"],
      ["file", "line"],
    ]);
    c.rest("trace", "BPF source", ["file"]);
  }
  c.leaf("trace", "Socket cookie", ["socket_cookie"]);
  c.leaf("trace", "Cgroup ID", ["cgroup_id"]);
  c.leaf("trace", "Debug capture point", ["debug_capture_point"]);
  c.leaf("trace", "Socket translation point", ["sock_xlate_point"]);
}

export function node(c: Collector): void {
  c.leaf("node", "Node", ["node_name"], { filter: (v) => filterEntryForNode(str(v)) });
  c.list("node", "Node label", ["node_labels"], (l) => filterEntryForNodeLabel(l));
  const emitter = c.get(["emitter"]);
  if (isObject(emitter)) {
    c.add("node", "Emitter", [str(emitter.name), str(emitter.version)].filter(Boolean).join(" "), [
      ["emitter", "name"],
      ["emitter", "version"],
    ]);
    c.rest("node", "Emitter", ["emitter"]);
  }
}
