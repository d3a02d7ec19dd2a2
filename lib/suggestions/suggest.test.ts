import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseFilterEntry } from "../filter-model";
import type { FlowEndpointView, FlowL7View, FlowRow } from "../flow-model";
import { escapeRe2, MAX_SCANNED_ROWS, suggestFilterEntries } from "./suggest";

// ---- builders ------------------------------------------------------------------------------

function endpoint(over: Partial<FlowEndpointView> = {}): FlowEndpointView {
  return {
    namespace: "",
    pod: "",
    workload: "",
    workloadKind: "",
    identity: 0,
    labels: [],
    ip: "",
    port: undefined,
    names: [],
    service: "",
    cluster: "",
    entity: undefined,
    ...over,
  };
}

let seq = 0;
function row(
  over: { source?: Partial<FlowEndpointView>; destination?: Partial<FlowEndpointView>; l7?: FlowL7View } & Partial<Omit<FlowRow, "source" | "destination" | "l7">> = {},
): FlowRow {
  const { source, destination, l7, ...rest } = over;
  seq++;
  return {
    id: `00000000-0000-0000-0000-${String(seq).padStart(12, "0")}`,
    time: "2024-05-01T12:00:00Z",
    timeMs: Date.parse("2024-05-01T12:00:00Z"),
    verdict: "FORWARDED",
    dropReason: "",
    eventType: 4,
    eventSubType: 0,
    flowType: "L3_L4",
    source: endpoint(source),
    destination: endpoint(destination),
    l4Protocol: "TCP",
    tcpFlags: [],
    l7,
    direction: "EGRESS",
    isReply: false,
    node: "kind-worker",
    summary: "",
    traceObservationPoint: "",
    policyMatchType: 0,
    encrypted: false,
    authType: "",
    allowedBy: [],
    deniedBy: [],
    ...rest,
  };
}

const frontendToCart = row({
  source: {
    namespace: "shop",
    pod: "frontend-7d9f",
    workload: "frontend",
    workloadKind: "Deployment",
    identity: 12345,
    labels: ["k8s:app=frontend", "k8s:io.kubernetes.pod.namespace=shop"],
    ip: "10.0.1.5",
    port: 51234,
  },
  destination: {
    namespace: "shop",
    pod: "cart-55c8",
    workload: "cart",
    workloadKind: "Deployment",
    identity: 23456,
    labels: ["k8s:app=cart"],
    ip: "10.0.2.7",
    port: 8080,
    service: "shop/cart",
  },
  l7: { kind: "http", type: "RESPONSE", latencyNs: 1_000_000, httpMethod: "POST", httpUrl: "http://cart:8080/api/v1.0/items?x=1", httpPath: "/api/v1.0/items", httpCode: 503 },
});
const frontendToWorld = row({
  source: { namespace: "shop", pod: "frontend-7d9f", identity: 12345, ip: "10.0.1.5", port: 40000 },
  destination: { identity: 2, labels: ["reserved:world"], ip: "140.82.112.3", port: 443, names: ["api.github.com"], entity: "world" },
});
const dnsQuery = row({
  source: { namespace: "shop", pod: "frontend-7d9f", ip: "10.0.1.5", port: 53000 },
  destination: { namespace: "kube-system", pod: "coredns-1", ip: "10.0.0.10", port: 53 },
  l4Protocol: "UDP",
  l7: { kind: "dns", type: "REQUEST", latencyNs: 0, dnsQuery: "payments.example.com.", dnsRcode: 0 },
});
const dropped = row({
  verdict: "DROPPED",
  dropReason: "POLICY_DENIED",
  direction: "INGRESS",
  node: "kind-control-plane",
  tcpFlags: ["SYN"],
  source: { namespace: "other", pod: "scanner", ip: "10.0.3.9", port: 41000 },
  destination: { namespace: "shop", pod: "cart-55c8", ip: "10.0.2.7", port: 8080 },
});
const ROWS = [frontendToCart, frontendToWorld, dnsQuery, dropped];

// ---- rules ---------------------------------------------------------------------------------

describe("suggestFilterEntries: kinds first", () => {
  it("an empty input lists kinds, bounded by the limit", () => {
    const s = suggestFilterEntries("", ROWS);
    assert.equal(s.length, 10);
    assert.deepEqual(s.slice(0, 4), ["pod=", "namespace=", "label=", "ip="]);
  });

  it("a partial kind completes to kind= (aliases after canonical names)", () => {
    assert.deepEqual(suggestFilterEntries("http-s", ROWS), ["http-status="]);
    assert.deepEqual(suggestFilterEntries("dn", ROWS), ["dns="]);
    assert.ok(suggestFilterEntries("po", ROWS).includes("pod="));
  });

  it("keeps the typed ! and direction prefix, and offers only kinds that take a side after from:/to:", () => {
    const s = suggestFilterEntries("!from:p", ROWS);
    assert.ok(s.includes("!from:pod="));
    assert.ok(s.includes("!from:port="));
    assert.ok(!s.some((x) => x.includes("protocol")), "protocol has no side");
  });

  it("offers direction prefixes for a partial direction", () => {
    assert.ok(suggestFilterEntries("fr", ROWS).includes("from:"));
    assert.ok(suggestFilterEntries("!t", ROWS).includes("!to:"));
  });

  it("bare text also finds values of common kinds", () => {
    const s = suggestFilterEntries("fronte", ROWS);
    assert.ok(s.includes("pod=shop/frontend-7d9f"), s.join(" "));
    assert.ok(s.includes("workload=Deployment/frontend") || s.includes("label=app=frontend"), s.join(" "));
  });

  it("matches a later part of a value (after / = - or, for FQDNs, .), after the prefix matches", () => {
    assert.ok(suggestFilterEntries("pod=cart", ROWS).includes("pod=shop/cart-55c8"));
    assert.ok(suggestFilterEntries("fqdn=github", ROWS).includes("fqdn=api.github.com"));
    assert.ok(suggestFilterEntries("pod=55c8", ROWS).includes("pod=shop/cart-55c8"));
    const rows = [row({ source: { namespace: "x", pod: "shop-a" } }), row({ source: { namespace: "shop", pod: "b" } }), row({ source: { namespace: "shop", pod: "b" } })];
    // "shop/b" starts with the text; "x/shop-a" only contains it after a '/', so it comes second.
    assert.deepEqual(suggestFilterEntries("pod=shop", rows), ["pod=shop/b", "pod=x/shop-a"]);
  });
});

describe("suggestFilterEntries: values seen in the stream", () => {
  const cases: { input: string; includes: string[]; excludes?: string[] }[] = [
    { input: "pod=shop/", includes: ["pod=shop/frontend-7d9f", "pod=shop/cart-55c8"], excludes: ["pod=other/scanner"] },
    { input: "from:pod=", includes: ["from:pod=shop/frontend-7d9f", "from:pod=other/scanner"], excludes: ["from:pod=shop/cart-55c8", "from:pod=kube-system/coredns-1"] },
    { input: "to:pod=", includes: ["to:pod=shop/cart-55c8", "to:pod=kube-system/coredns-1"], excludes: ["to:pod=shop/frontend-7d9f"] },
    { input: "label=app", includes: ["label=app=frontend", "label=app=cart"] },
    { input: "label=reserved", includes: ["label=reserved:world"] },
    { input: "ip=10.0.2", includes: ["ip=10.0.2.7"] },
    { input: "fqdn=api", includes: ["fqdn=api.github.com"] },
    { input: "dns=pay", includes: ["dns=payments.example.com"] },
    { input: "port=", includes: ["port=8080", "port=443", "port=53"], excludes: ["port=51234"] },
    { input: "from:port=5", includes: ["from:port=51234", "from:port=53000"] },
    { input: "workload=", includes: ["workload=Deployment/frontend", "workload=Deployment/cart"] },
    { input: "identity=", includes: ["identity=12345", "identity=world"] },
    { input: "namespace=k", includes: ["namespace=kube-system"] },
    { input: "service=", includes: ["service=shop/cart"] },
    { input: "node=kind-c", includes: ["node=kind-control-plane"] },
    { input: "http-method=p", includes: ["http-method=POST"] },
    { input: "http-status=5", includes: ["http-status=503", "http-status=5+"] },
    { input: "http-path=/api", includes: ["http-path=/api/v1\\.0/items"] },
    { input: "drop-reason=", includes: ["drop-reason=POLICY_DENIED"] },
    { input: "verdict=d", includes: ["verdict=DROPPED"] },
    { input: "protocol=", includes: ["protocol=tcp", "protocol=udp", "protocol=http", "protocol=dns"] },
    { input: "traffic-direction=", includes: ["traffic-direction=egress", "traffic-direction=ingress"] },
    { input: "tcp-flags=", includes: ["tcp-flags=SYN"] },
  ];
  for (const c of cases) {
    it(`${c.input} → ${c.includes.join(", ")}`, () => {
      const s = suggestFilterEntries(c.input, ROWS, 50);
      for (const want of c.includes) assert.ok(s.includes(want), `${want} missing from ${JSON.stringify(s)}`);
      for (const not of c.excludes ?? []) assert.ok(!s.includes(not), `${not} must not be in ${JSON.stringify(s)}`);
    });
  }

  it("matches prefixes case-insensitively", () => {
    assert.ok(suggestFilterEntries("POD=SHOP/FR", ROWS).includes("pod=shop/frontend-7d9f"));
  });

  it("ranks the most frequent value first", () => {
    const rows = [row({ destination: { port: 9000 } }), row({ destination: { port: 80 } }), row({ destination: { port: 80 } })];
    assert.deepEqual(suggestFilterEntries("port=", rows), ["port=80", "port=9000"]);
  });

  it("an unknown kind gets no values", () => {
    assert.deepEqual(suggestFilterEntries("app=fr", ROWS), []);
  });

  it("never repeats the input nor a value twice", () => {
    const s = suggestFilterEntries("pod=shop/frontend-7d9f", ROWS);
    assert.ok(!s.includes("pod=shop/frontend-7d9f"));
    const all = suggestFilterEntries("pod=", ROWS, 50);
    assert.equal(new Set(all).size, all.length);
  });
});

describe("suggestFilterEntries: safety and bounds", () => {
  it("every value suggestion is an entry the filter bar accepts", () => {
    for (const input of ["pod=", "label=", "ip=", "fqdn=", "port=", "http-status=", "http-path=", "identity=", "node=", "drop-reason="]) {
      for (const s of suggestFilterEntries(input, ROWS, 50)) assert.doesNotThrow(() => parseFilterEntry(s), s);
    }
  });

  it("treats hostile flow text as text: regex characters, HTML and bad names are not a problem", () => {
    const hostile = row({
      source: { namespace: "shop", pod: "<script>alert(1)</script>", names: ["(a+)+$.evil.com", "<img src=x>"] },
      l7: { kind: "http", type: "REQUEST", latencyNs: 0, httpMethod: "GET", httpPath: "/(.*)+[x", httpUrl: "http://x/(.*)+[x" },
    });
    // Not a valid pod name (no spaces rule passes, but the whole entry must parse) — only valid entries come out.
    const pods = suggestFilterEntries("pod=shop/<", [hostile]);
    for (const s of pods) assert.doesNotThrow(() => parseFilterEntry(s));
    // Invalid FQDN characters are dropped rather than offered.
    assert.deepEqual(suggestFilterEntries("fqdn=", [hostile]), []);
    // A path full of regex syntax is offered escaped, as a literal.
    assert.deepEqual(suggestFilterEntries("http-path=/(", [hostile]), ["http-path=/\\(\\.\\*\\)\\+\\[x"]);
    // And typing a prefix that is itself regex syntax does not throw.
    assert.doesNotThrow(() => suggestFilterEntries("http-path=(((", [hostile]));
  });

  it("reads at most MAX_SCANNED_ROWS rows (the newest)", () => {
    const rows = Array.from({ length: MAX_SCANNED_ROWS + 10 }, (_, i) => row({ destination: { port: i < MAX_SCANNED_ROWS ? 80 : 9999 } }));
    assert.deepEqual(suggestFilterEntries("port=", rows), ["port=80"]);
  });

  it("honours the limit, and a limit of 0", () => {
    assert.equal(suggestFilterEntries("", ROWS, 3).length, 3);
    assert.deepEqual(suggestFilterEntries("", ROWS, 0), []);
  });

  it("stays bounded with many distinct values", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row({ source: { namespace: "ns", pod: `p${i}` } }));
    assert.equal(suggestFilterEntries("pod=ns/p", rows).length, 10);
  });
});

describe("escapeRe2", () => {
  it("escapes every RE2 metacharacter and nothing else", () => {
    assert.equal(escapeRe2("/a.b?c=(d)|[e]{f}^$+*\\"), "/a\\.b\\?c=\\(d\\)\\|\\[e\\]\\{f\\}\\^\\$\\+\\*\\\\");
    assert.equal(escapeRe2("/plain/path"), "/plain/path");
  });
});
