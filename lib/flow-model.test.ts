import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { flowToJsonObject, parseGetFlowsResponseJson } from "./flow-json";
import { boundFlowJson, contentKey, FLOW_KEY_FIELDS, MAX_LIST, MAX_TEXT, toFlowRow, urlPath } from "./flow-model";

import { captureLines } from "@/lib/testing/captures";

/** A capture line's flow as the server sends it: parsed into the proto, back to Hubble's JSON. */
function serverJson(line: string): JsonObject {
  const r = parseGetFlowsResponseJson(line);
  assert.equal(r.responseTypes.case, "flow");
  return flowToJsonObject(r.responseTypes.value as never);
}

/** The first flow of a capture whose line contains every needle. */
function captured(name: string, ...needles: string[]): JsonObject {
  const line = captureLines(name).find((l) => needles.every((n) => l.includes(n)));
  assert.ok(line, `${name} has a line with ${needles.join(", ")}`);
  return serverJson(line);
}

const HTTP = "hubble-otel-basic-sample-348-http-flows.jsonl";
const DNS = "hubble-otel-basic-sample-330-dns-flows.jsonl";
const TCP = "hubble-otel-basic-sample-400-tcp-flows.jsonl";
const TEN = "hubble-otel-basic-sample-10-flows.jsonl";
const VERDICTS = "hubble-otel-basic-sample-400-l7-redirected-flows.jsonl";
const DOCS_DROPPED = "cilium-docs-export-dropped.jsonl";

describe("toFlowRow on real captures", () => {
  it("an HTTP request: method, url, path, no code; EGRESS, not a reply", () => {
    const row = toFlowRow(captured(HTTP, '"type":"REQUEST","http"', "9990/metrics"));
    assert.equal(row.flowType, "L7");
    assert.equal(row.eventType, 129);
    assert.equal(row.l7?.kind, "http");
    assert.equal(row.l7?.type, "REQUEST");
    assert.equal(row.l7?.httpMethod, "GET");
    assert.equal(row.l7?.httpUrl, "http://10.128.0.4:9990/metrics");
    assert.equal(row.l7?.httpPath, "/metrics");
    assert.equal(row.l7?.httpCode, undefined);
    assert.equal(row.l7?.httpProtocol, "HTTP/1.1");
    assert.equal(row.direction, "EGRESS");
    assert.equal(row.isReply, false);
    assert.equal(row.source.namespace, "istio-system");
    assert.equal(row.source.pod, "prometheus-6655946b9f-6xcpf");
    assert.equal(row.source.port, 48532);
    assert.equal(row.destination.entity, "world");
    assert.equal(row.destination.ip, "10.128.0.4");
    assert.equal(row.l4Protocol, "TCP");
  });

  it("an HTTP response: code, latency, reply", () => {
    const row = toFlowRow(captured(HTTP, '"code":503'));
    assert.equal(row.l7?.type, "RESPONSE");
    assert.equal(row.l7?.httpCode, 503);
    assert.equal(row.l7?.latencyNs, 999958359);
    assert.equal(row.isReply, true);
    assert.equal(row.summary, "HTTP/1.1 503 999ms (GET http://10.156.1.2:9253/metrics)");
    assert.equal(row.time, "2021-10-04T14:28:40.808318870Z");
    assert.equal(row.timeMs, Date.UTC(2021, 9, 4, 14, 28, 40, 808));
  });

  it("a DNS NXDOMAIN answer: query, rcode 3, qtypes", () => {
    const row = toFlowRow(captured(DNS, '"rcode":3'));
    assert.equal(row.l7?.kind, "dns");
    assert.equal(row.l7?.dnsQuery, "istiod-istio-1611.istio-system.svc.istio-system.svc.cluster.local.");
    assert.equal(row.l7?.dnsRcode, 3);
    assert.deepEqual(row.l7?.dnsQtypes, ["A"]);
    assert.equal(row.source.port, 53);
  });

  it("a TCP trace event: flags, observation point, and the deprecated `reply` when is_reply is absent", () => {
    const row = toFlowRow(captured(TEN, '"FIN":true', '"reply":true'));
    assert.equal(row.l4Protocol, "TCP");
    assert.deepEqual([...row.tcpFlags].sort(), ["ACK", "FIN"]);
    assert.equal(row.eventType, 4);
    assert.equal(row.eventSubType, 3);
    assert.equal(row.traceObservationPoint, "TO_STACK");
    assert.equal(row.isReply, true);
    assert.equal(row.l7, undefined);
    assert.equal(row.destination.entity, "host");
    assert.equal(row.destination.identity, 1);
    assert.equal(row.source.entity, undefined);
  });

  it("a policy-verdict event: type 5, REDIRECTED, match type", () => {
    const row = toFlowRow(captured(VERDICTS, '"policy_match_type":3', '"SYN":true'));
    assert.equal(row.eventType, 5);
    assert.equal(row.verdict, "REDIRECTED");
    assert.equal(row.policyMatchType, 3);
    assert.deepEqual(row.tcpFlags, ["SYN"]);
    assert.deepEqual(row.allowedBy, []);
    assert.deepEqual(row.deniedBy, []);
  });

  it("the docs' dropped flows: empty endpoints, ICMPv6, drop reasons", () => {
    const [icmp, tcp] = captureLines(DOCS_DROPPED).map(serverJson).map(toFlowRow);
    assert.equal(icmp.verdict, "DROPPED");
    assert.equal(icmp.dropReason, "INVALID_SOURCE_IP");
    assert.equal(icmp.l4Protocol, "ICMPv6");
    assert.equal(icmp.source.port, undefined);
    assert.deepEqual(icmp.source, {
      namespace: "",
      pod: "",
      workload: "",
      workloadKind: "",
      identity: 0,
      labels: [],
      ip: "fe80::64d8:8aff:fe72:fc14",
      port: undefined,
      names: [],
      service: "",
      cluster: "",
      entity: undefined,
    });
    assert.equal(icmp.eventType, 0);
    assert.equal(icmp.direction, "TRAFFIC_DIRECTION_UNKNOWN");
    assert.equal(icmp.isReply, undefined);
    assert.equal(tcp.dropReason, "POLICY_DENIED");
    assert.equal(tcp.destination.pod, "deathstar-7848d6c4d5-th9v2");
    assert.equal(tcp.destination.port, 80);
    assert.deepEqual(tcp.tcpFlags, ["SYN"]);
    assert.equal(tcp.node, "kind-kind/kind-worker");
  });

  it("the raw capture JSON and the server's re-encoded JSON give the same row", () => {
    for (const name of [HTTP, DNS, TCP, TEN, VERDICTS, DOCS_DROPPED]) {
      for (const line of captureLines(name).slice(0, 20)) {
        const raw = (JSON.parse(line) as { flow: JsonObject }).flow;
        assert.deepEqual(toFlowRow(raw), toFlowRow(serverJson(line)), `${name}: ${line.slice(0, 80)}`);
      }
    }
  });

  it("flows without uuid (captures predate Cilium 1.14) get distinct content keys, one per event", () => {
    for (const name of [HTTP, DNS, TCP, TEN, VERDICTS, DOCS_DROPPED]) {
      const lines = captureLines(name);
      const keys = new Set(lines.map((l) => toFlowRow(serverJson(l)).id));
      assert.equal(keys.size, lines.length, name);
      for (const k of keys) assert.ok(k.startsWith("ck|"), k);
    }
  });
});

describe("entity detection", () => {
  const CASES: ReadonlyArray<{ labels: string[]; entity: string | undefined }> = [
    { labels: ["reserved:world"], entity: "world" },
    { labels: ["reserved:world-ipv4"], entity: "world" },
    { labels: ["reserved:world-ipv6"], entity: "world" },
    { labels: ["reserved:host"], entity: "host" },
    { labels: ["reserved:remote-node"], entity: "remote-node" },
    { labels: ["reserved:health"], entity: "health" },
    { labels: ["reserved:init"], entity: "init" },
    { labels: ["reserved:ingress"], entity: "ingress" },
    { labels: ["reserved:unmanaged"], entity: "unmanaged" },
    { labels: ["reserved:world", "reserved:kube-apiserver"], entity: "kube-apiserver" },
    { labels: ["reserved:kube-apiserver", "reserved:world"], entity: "kube-apiserver" },
    { labels: ["reserved:host", "reserved:kube-apiserver"], entity: "kube-apiserver" },
    { labels: ["k8s:app=xwing"], entity: undefined },
    { labels: ["k8s:reserved:world"], entity: undefined },
    { labels: [], entity: undefined },
  ];
  for (const { labels, entity } of CASES) {
    it(`labels [${labels.join(", ")}] → ${entity ?? "no entity"}`, () => {
      assert.equal(toFlowRow({ destination: { labels } }).destination.entity, entity);
    });
  }
});

describe("contentKey: the one definition of the same flow without a uuid", () => {
  const base: JsonObject = {
    time: "2023-08-21T12:12:18.510175415Z",
    verdict: "DROPPED",
    drop_reason_desc: "POLICY_DENIED",
    IP: { source: "10.244.1.60", destination: "10.244.1.5" },
    l4: { TCP: { source_port: 44916, destination_port: 80 } },
    source: { identity: 1234, pod_name: "a-1" },
    destination: { identity: 5678, pod_name: "b-1" },
    node_name: "kind-worker",
    event_type: { type: 1, sub_type: 133 },
    traffic_direction: "INGRESS",
    trace_observation_point: "TO_ENDPOINT",
    is_reply: false,
    l7: { type: "REQUEST" },
    Summary: "TCP Flags: SYN",
  };

  it("is stable: the same flow, keys in another order, gives the same key", () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as JsonObject;
    assert.equal(contentKey(reordered), contentKey(base));
    assert.equal(contentKey(structuredClone(base)), contentKey(base));
  });

  it("ignores what does not tell two events apart (uuid, labels, l7 detail)", () => {
    assert.equal(
      contentKey({ ...base, uuid: "x", source: { identity: 1234, pod_name: "a-1", labels: ["k8s:a=b"] }, l7: { type: "REQUEST", http: { code: 200 } } }),
      contentKey(base),
    );
  });

  const icmp: JsonObject = { ...base, l4: { ICMPv4: { type: 8, code: 0 } } };
  // One change per keyed field (FLOW_KEY_FIELDS), in its order.
  const CHANGES: ReadonlyArray<{ field: (typeof FLOW_KEY_FIELDS)[number]; changed: JsonObject; from?: JsonObject }> = [
    { field: "time", changed: { ...base, time: "2023-08-21T12:12:18.510175416Z" } },
    { field: "node_name", changed: { ...base, node_name: "kind-control-plane" } },
    { field: "IP.source", changed: { ...base, IP: { source: "10.244.1.61", destination: "10.244.1.5" } } },
    { field: "IP.destination", changed: { ...base, IP: { source: "10.244.1.60", destination: "10.244.1.6" } } },
    { field: "l4.<protocol>", changed: { ...base, l4: { UDP: { source_port: 44916, destination_port: 80 } } } },
    { field: "l4.<protocol>.source_port|type", changed: { ...base, l4: { TCP: { source_port: 44917, destination_port: 80 } } } },
    { field: "l4.<protocol>.source_port|type", changed: { ...icmp, l4: { ICMPv4: { type: 0, code: 0 } } }, from: icmp },
    { field: "l4.<protocol>.destination_port|code", changed: { ...base, l4: { TCP: { source_port: 44916, destination_port: 81 } } } },
    { field: "l4.<protocol>.destination_port|code", changed: { ...icmp, l4: { ICMPv4: { type: 8, code: 1 } } }, from: icmp },
    { field: "event_type.type", changed: { ...base, event_type: { type: 4, sub_type: 133 } } },
    { field: "event_type.sub_type", changed: { ...base, event_type: { type: 1, sub_type: 181 } } },
    { field: "verdict", changed: { ...base, verdict: "FORWARDED" } },
    { field: "drop_reason_desc", changed: { ...base, drop_reason_desc: "STALE_OR_UNROUTABLE_IP" } },
    { field: "trace_observation_point", changed: { ...base, trace_observation_point: "FROM_ENDPOINT" } },
    { field: "traffic_direction", changed: { ...base, traffic_direction: "EGRESS" } },
    { field: "is_reply", changed: { ...base, is_reply: true } },
    { field: "is_reply", changed: Object.fromEntries(Object.entries(base).filter(([k]) => k !== "is_reply")) as JsonObject },
    { field: "source.identity", changed: { ...base, source: { identity: 1235, pod_name: "a-1" } } },
    { field: "destination.identity", changed: { ...base, destination: { identity: 5679, pod_name: "b-1" } } },
    { field: "source.pod_name", changed: { ...base, source: { identity: 1234, pod_name: "a-2" } } },
    { field: "destination.pod_name", changed: { ...base, destination: { identity: 5678, pod_name: "b-2" } } },
    { field: "l7.type", changed: { ...base, l7: { type: "RESPONSE" } } },
    { field: "Summary", changed: { ...base, Summary: "TCP Flags: ACK" } },
  ];
  for (const { field, changed, from } of CHANGES) {
    it(`differs when ${field} differs${from ? " (ICMP)" : ""}`, () => {
      assert.notEqual(contentKey(changed), contentKey(from ?? base));
    });
  }

  it("every keyed field has a case above", () => {
    assert.deepEqual([...new Set(CHANGES.map((c) => c.field))], [...FLOW_KEY_FIELDS]);
  });

  it("one field's text cannot run into the next one's", () => {
    // Joined with "|", both would read "…|x|y|z".
    assert.notEqual(contentKey({ ...base, l7: { type: "x|y" }, Summary: "z" }), contentKey({ ...base, l7: { type: "x" }, Summary: "y|z" }));
  });

  it("the envelope's node stands in for a flow without node_name", () => {
    const { node_name: _, ...noNode } = base;
    assert.equal(contentKey(noNode as JsonObject, "kind-worker"), contentKey(base));
    assert.equal(contentKey(base, "other"), contentKey(base));
  });
});

describe("boundFlowJson", () => {
  it("cuts strings longer than MAX_TEXT and marks the cut", () => {
    const long = "a".repeat(MAX_TEXT + 10);
    const out = boundFlowJson({ l7: { http: { url: long } } }) as { l7: { http: { url: string } } };
    assert.equal(out.l7.http.url, `${"a".repeat(MAX_TEXT)}…`);
  });

  it("keeps strings of exactly MAX_TEXT", () => {
    const s = "b".repeat(MAX_TEXT);
    assert.equal(boundFlowJson(s), s);
  });

  it("cuts lists longer than MAX_LIST, nested ones too", () => {
    const labels = Array.from({ length: MAX_LIST + 5 }, (_, i) => `k8s:l${i}=v`);
    const out = boundFlowJson({ source: { labels }, x: [[...labels]] }) as { source: { labels: string[] }; x: string[][] };
    assert.equal(out.source.labels.length, MAX_LIST);
    assert.equal(out.source.labels[MAX_LIST - 1], `k8s:l${MAX_LIST - 1}=v`);
    assert.equal(out.x[0].length, MAX_LIST);
  });

  it("leaves a normal flow equal and does not modify its input", () => {
    const flow: JsonObject = { time: "t", l4: { TCP: { source_port: 1 } }, is_reply: false, labels: ["a"], n: null };
    const copy = structuredClone(flow);
    const out = boundFlowJson(flow);
    assert.deepEqual(out, flow);
    assert.notEqual(out, flow);
    assert.deepEqual(flow, copy);
  });
});

describe("urlPath", () => {
  const CASES: ReadonlyArray<{ url: string; path: string }> = [
    { url: "http://10.128.0.4:9990/metrics", path: "/metrics" },
    { url: "http://deathstar.default.svc.cluster.local/v1/request-landing", path: "/v1/request-landing" },
    { url: "https://api.example.com/a/b?x=1&y=/z", path: "/a/b" },
    { url: "http://host/p#frag/x", path: "/p" },
    { url: "http://host", path: "/" },
    { url: "http://host?next=/admin", path: "/" },
    { url: "http://host#/route", path: "/" },
    { url: "/relative/path?q", path: "/relative/path" },
    { url: "", path: "" },
  ];
  for (const { url, path: p } of CASES) {
    it(`${JSON.stringify(url)} → ${JSON.stringify(p)}`, () => assert.equal(urlPath(url), p));
  }
});

describe("encryption and mutual authentication", () => {
  it("reads IP.encrypted and auth_type as Hubble's JSON gives them (names, or numbers)", () => {
    const base = { time: "2026-01-01T10:00:00Z", verdict: "FORWARDED", source: {}, destination: {} };
    const row = (extra: JsonObject) => toFlowRow({ ...base, ...extra });
    assert.deepEqual([row({}).encrypted, row({}).authType], [false, ""]);
    assert.equal(row({ IP: { source: "10.0.0.1", destination: "10.0.0.2", encrypted: true } }).encrypted, true);
    assert.equal(row({ IP: { source: "10.0.0.1", destination: "10.0.0.2", encrypted: false } }).encrypted, false);
    assert.equal(row({ auth_type: "SPIRE" }).authType, "SPIRE");
    assert.equal(row({ auth_type: "DISABLED" }).authType, "");
    assert.equal(row({ auth_type: 1 }).authType, "SPIRE");
    assert.equal(row({ auth_type: 0 }).authType, "");
    assert.equal(row({ auth_type: "x".repeat(500) }).authType.length, 40, "bounded");
  });

  it("the server's re-encoded JSON keeps them", () => {
    const line = JSON.stringify({
      flow: {
        time: "2026-01-01T10:00:00Z",
        verdict: "FORWARDED",
        IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4", encrypted: true },
        auth_type: "SPIRE",
        source: {},
        destination: {},
      },
    });
    const r = toFlowRow(serverJson(line));
    assert.deepEqual([r.encrypted, r.authType], [true, "SPIRE"]);
  });
});
