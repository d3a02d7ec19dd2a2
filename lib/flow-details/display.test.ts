import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { toFlowRow } from "../flow-model";
import { flowDisplay } from "./display";
import { dnsRcodeName, eventTypeName, formatLatency, policyMatchTypeName } from "./names";
import { escapeRE2Literal, filterEntryForEndpoint, filterEntryForEventType, filterEntryForHttpPath } from "./filter-entries";
import { formatFilterEntry } from "../filter-model/entry";
import { captureFlows } from "./testing";

const row = (flow: JsonObject) => toFlowRow(flow);

describe("names from the hubble facts", () => {
  it("policy_match_type: 1 is L3-Only and 2 is L3-L4", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 9].map(policyMatchTypeName), ["none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only", "unknown (9)"]);
  });
  it("event types as `hubble observe --type` spells them", () => {
    assert.equal(eventTypeName(4, 0), "trace:to-endpoint");
    assert.equal(eventTypeName(4, 11), "trace:to-network");
    assert.equal(eventTypeName(1, 133), "drop:133");
    assert.equal(eventTypeName(5, 0), "policy-verdict");
    assert.equal(eventTypeName(129, 0), "l7");
    assert.equal(eventTypeName(200, 0), "200");
  });
  it("DNS rcodes", () => {
    assert.deepEqual([0, 2, 3, 5, 99].map(dnsRcodeName), ["NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED", "RCODE99"]);
  });
  it("latencies", () => {
    assert.deepEqual([500, 1500, 12_345_678, 999_958_359, 2_500_000_000].map(formatLatency), ["500 ns", "1.5 µs", "12.3 ms", "1000 ms", "2.5 s"]);
  });
});

describe("row display text", () => {
  const http = row({
    time: "2024-05-01T12:03:04.567891234Z",
    verdict: "FORWARDED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2" },
    l4: { TCP: { source_port: 40000, destination_port: 8080 } },
    source: { namespace: "shop", pod_name: "frontend-1", identity: 100 },
    destination: { namespace: "shop", pod_name: "cart-2", identity: 200, workloads: [{ name: "cart", kind: "Deployment" }] },
    l7: { type: "RESPONSE", latency_ns: "12000000", http: { code: 503, method: "GET", url: "http://cart:8080/v1/cart?x=1" } },
    traffic_direction: "INGRESS",
    is_reply: true,
    event_type: { type: 129 },
    node_name: "kind-worker",
    egress_allowed_by: [{ name: "allow-frontend", namespace: "shop", kind: "CiliumNetworkPolicy" }],
  });

  it("an HTTP response", () => {
    const d = flowDisplay(http);
    assert.equal(d.time, "12:03:04.567");
    assert.equal(d.timeTitle, "2024-05-01T12:03:04.567891234Z");
    assert.equal(d.source, "shop/frontend-1");
    assert.equal(d.destination, "shop/cart-2");
    assert.equal(d.port, "8080/TCP");
    assert.equal(d.l7, "GET 503 /v1/cart 12 ms");
    assert.equal(d.verdict, "FORWARDED");
    assert.equal(d.verdictTone, "forwarded");
    assert.equal(d.policy, "allowed by shop/allow-frontend");
    assert.equal(d.policyNames, "shop/allow-frontend");
    assert.equal(d.policyTone, "allowed");
    assert.equal(d.direction, "ingress ↩");
    assert.equal(d.eventType, "l7");
    assert.equal(d.node, "kind-worker");
  });

  it("is computed once per row object", () => {
    assert.equal(flowDisplay(http), flowDisplay(http));
  });

  it("entities, names and DNS", () => {
    const d = flowDisplay(
      row({
        verdict: "DROPPED",
        drop_reason_desc: "POLICY_DENY",
        IP: { source: "10.0.0.1", destination: "1.1.1.1" },
        source: { identity: 1, labels: ["reserved:host"] },
        destination: { identity: 2, labels: ["reserved:world"] },
        l7: { type: "RESPONSE", dns: { query: "nope.example.", rcode: 3, qtypes: ["A"] } },
        event_type: { type: 1, sub_type: 181 },
        ingress_denied_by: [{ name: "deny-all", namespace: "" }],
      }),
    );
    assert.equal(d.source, "host 10.0.0.1");
    assert.equal(d.destination, "world 1.1.1.1");
    assert.equal(d.l7, "DNS A nope.example. NXDOMAIN");
    assert.equal(d.eventType, "drop:181");
    assert.equal(d.policy, "denied by deny-all");
    assert.equal(d.verdictTone, "dropped");
    assert.equal(d.port, "");
  });

  it("every capture flow gets display text without throwing", () => {
    for (const { raw } of captureFlows()) {
      const d = flowDisplay(row(raw));
      assert.ok(d.time.length === 12 && d.source !== "" && d.destination !== "", JSON.stringify(d));
    }
  });
});

describe("filter entry helpers", () => {
  it("escapes every RE2 metacharacter", () => {
    assert.equal(escapeRE2Literal("a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o"), "a\\.b\\*c\\+d\\?e\\(f\\)g\\[h\\]i\\{j\\}k\\|l\\^m\\$n\\\\o");
    assert.equal(formatFilterEntry(filterEntryForHttpPath("/v1/items/{id}")!), "http-path=^/v1/items/\\{id\\}$");
  });
  it("event types with and without sub types", () => {
    assert.equal(formatFilterEntry(filterEntryForEventType(4, 0)!), "type=trace:to-endpoint");
    assert.equal(formatFilterEntry(filterEntryForEventType(1, 133)!), "type=drop:133");
    assert.equal(formatFilterEntry(filterEntryForEventType(129, 0)!), "type=l7");
    assert.equal(filterEntryForEventType(0, 0), undefined);
  });
  it("the telling entry for an endpoint: pod, workload, reserved identity, name, IP", () => {
    const ep = (flow: JsonObject) => toFlowRow({ destination: flow, IP: { destination: "1.2.3.4" } }).destination;
    const f = (flow: JsonObject) => formatFilterEntry(filterEntryForEndpoint("destination", ep(flow))!);
    assert.equal(f({ namespace: "shop", pod_name: "cart-1" }), "to:pod=shop/cart-1");
    assert.equal(f({ namespace: "shop", workloads: [{ name: "cart", kind: "Deployment" }] }), "to:workload=Deployment/cart");
    assert.equal(f({ identity: 2, labels: ["reserved:world"] }), "to:identity=2");
    assert.equal(f({ identity: 16777217 }), "to:ip=1.2.3.4");
  });
});
