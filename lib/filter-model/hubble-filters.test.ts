import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toJson } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { parseFilterEntry } from "./entry";
import { canonicalFiltersJson, fromHubbleFilters, InvalidFlowQueryError, toHubbleFilters } from "./hubble-filters";
import { parseHubbleObserveCommand } from "./cli";
import type { FlowQuery } from "./query";
import type { VerdictName } from "./kinds";

const json = (filters: FlowFilter[]) => filters.map((f) => toJson(FlowFilterSchema, f, { useProtoFieldName: true }));

function query(parts: { namespaces?: string[]; verdicts?: VerdictName[]; filters?: string[] } = {}): FlowQuery {
  return { namespaces: parts.namespaces ?? [], verdicts: parts.verdicts ?? [], filters: (parts.filters ?? []).map(parseFilterEntry) };
}

type Json = ReturnType<typeof json>;

// Expected whitelist/blacklist are what the hubble CLI builds for the same flags: taken from
// `--print-raw-filters` in cilium's docs and from hubble/cmd/observe/flows_filter_test.go.
const CLI_CASES: { name: string; cmd: string; whitelist?: Json; blacklist?: Json }[] = [
  {
    name: "--not --namespace (docs: export.rst --print-raw-filters)",
    cmd: "hubble observe --not --namespace kube-system --print-raw-filters",
    blacklist: [{ source_pod: ["kube-system/"] }, { destination_pod: ["kube-system/"] }],
  },
  {
    name: "TestFilterDispatch: from-ip twice, --not --to-ip, verdict, -t l7",
    cmd: "hubble observe --from-ip 1.2.3.4 --from-ip 5.6.7.8 --not --to-ip 5.5.5.5 --verdict DROPPED -t l7",
    whitelist: [{ source_ip: ["1.2.3.4", "5.6.7.8"], verdict: ["DROPPED"], event_type: [{ type: 129 }] }],
    blacklist: [{ destination_ip: ["5.5.5.5"] }],
  },
  {
    name: "TestFilterLeftRight: shared flags copied into both sides; --not flags AND'ed in one blacklist",
    cmd: "hubble observe --ip 1.2.3.4 --ip 5.6.7.8 --verdict DROPPED --not --pod deathstar --not --http-status 200 --http-method get --http-path '/page/\\d+' --node-name 'k8s*'",
    whitelist: [
      { source_ip: ["1.2.3.4", "5.6.7.8"], verdict: ["DROPPED"], http_method: ["get"], http_path: ["/page/\\d+"], node_name: ["k8s*"] },
      { destination_ip: ["1.2.3.4", "5.6.7.8"], verdict: ["DROPPED"], http_method: ["get"], http_path: ["/page/\\d+"], node_name: ["k8s*"] },
    ],
    blacklist: [
      { source_pod: ["deathstar"], http_status_code: ["200"] },
      { destination_pod: ["deathstar"], http_status_code: ["200"] },
    ],
  },
  {
    name: "TestLabels",
    cmd: "hubble observe --label k1=v1,k2=v2 -l k3 --node-label io.cilium.egress-gateway",
    whitelist: [
      { source_label: ["k1=v1,k2=v2", "k3"], node_labels: ["io.cilium.egress-gateway"] },
      { destination_label: ["k1=v1,k2=v2", "k3"], node_labels: ["io.cilium.egress-gateway"] },
    ],
  },
  {
    name: "from-pod + to-workload: one filter",
    cmd: "hubble observe --from-pod cilium --to-workload app",
    whitelist: [{ source_pod: ["cilium"], destination_workload: [{ name: "app" }] }],
  },
  {
    name: "pod + to-workload: two filters",
    cmd: "hubble observe --pod cilium --to-workload app",
    whitelist: [
      { source_pod: ["cilium"], destination_workload: [{ name: "app" }] },
      { destination_pod: ["cilium"], destination_workload: [{ name: "app" }] },
    ],
  },
  {
    name: "workload with kind",
    cmd: "hubble observe --from-workload Deployment/frontend",
    whitelist: [{ source_workload: [{ kind: "Deployment", name: "frontend" }] }],
  },
  {
    name: "TestIdentity (numbers and reserved names)",
    cmd: "hubble observe --identity 1 --identity world",
    whitelist: [{ source_identity: [1, 2] }, { destination_identity: [1, 2] }],
  },
  {
    name: "pod + to-identity",
    cmd: "hubble observe --pod cilium --to-identity 42",
    whitelist: [
      { source_pod: ["cilium"], destination_identity: [42] },
      { destination_pod: ["cilium"], destination_identity: [42] },
    ],
  },
  {
    name: "TestNamespace: namespace + port",
    cmd: "hubble observe --namespace cilium --port 443",
    whitelist: [
      { source_pod: ["cilium/"], source_port: ["443"] },
      { destination_pod: ["cilium/"], destination_port: ["443"] },
    ],
  },
  {
    name: "TestNamespace: from-namespace + from-port",
    cmd: "hubble observe --from-namespace cilium --from-port 443",
    whitelist: [{ source_pod: ["cilium/"], source_port: ["443"] }],
  },
  {
    name: "TestNamespace: to-namespace",
    cmd: "hubble observe --to-namespace cilium",
    whitelist: [{ destination_pod: ["cilium/"] }],
  },
  {
    name: "TestNamespace: to-namespace + port",
    cmd: "hubble observe --to-namespace cilium --port 443",
    whitelist: [
      { destination_pod: ["cilium/"], source_port: ["443"] },
      { destination_pod: ["cilium/"], destination_port: ["443"] },
    ],
  },
  {
    name: "TestNamespace: namespace + pod prefixes the pod",
    cmd: "hubble observe --namespace cilium --pod foo-9c76d6c95-tf788",
    whitelist: [{ source_pod: ["cilium/foo-9c76d6c95-tf788"] }, { destination_pod: ["cilium/foo-9c76d6c95-tf788"] }],
  },
  {
    name: "TestNamespace: namespace + service prefixes the service",
    cmd: "hubble observe --namespace cilium --service foo",
    whitelist: [{ source_service: ["cilium/foo"] }, { destination_service: ["cilium/foo"] }],
  },
  {
    name: "TestNamespace: two namespaces × two services",
    cmd: "hubble observe --namespace cilium --namespace kube-system --service foo --service bar",
    whitelist: [
      { source_service: ["cilium/foo", "kube-system/foo", "cilium/bar", "kube-system/bar"] },
      { destination_service: ["cilium/foo", "kube-system/foo", "cilium/bar", "kube-system/bar"] },
    ],
  },
  {
    name: "TestNamespace: to-namespace + namespaced to-pod",
    cmd: "hubble observe --to-namespace cilium --to-pod cilium/foo-9c76d6c95-tf788",
    whitelist: [{ destination_pod: ["cilium/foo-9c76d6c95-tf788"] }],
  },
  {
    name: "TestNamespace: from-namespace + to-pod",
    cmd: "hubble observe --from-namespace kube-system --to-pod cilium/foo-9c76d6c95-tf788",
    whitelist: [{ source_pod: ["kube-system/"], destination_pod: ["cilium/foo-9c76d6c95-tf788"] }],
  },
  {
    name: "TestCluster",
    cmd: "hubble observe --cluster foo --cluster bar",
    whitelist: [{ source_cluster_name: ["foo", "bar"] }, { destination_cluster_name: ["foo", "bar"] }],
  },
  {
    name: "TestTrafficDirection: mixed case",
    cmd: "hubble observe --traffic-direction INGRESS --traffic-direction EgrEss",
    whitelist: [{ traffic_direction: ["INGRESS", "EGRESS"] }],
  },
  {
    name: "TestFilterType",
    cmd: "hubble observe -t 254 -t 255:127 -t trace:to-endpoint -t trace:from-endpoint -t 4:2 -t agent -t agent:3",
    whitelist: [
      {
        event_type: [
          { type: 254 },
          { type: 255, match_sub_type: true, sub_type: 127 },
          { type: 4, match_sub_type: true },
          { type: 4, match_sub_type: true, sub_type: 5 },
          { type: 4, match_sub_type: true, sub_type: 2 },
          { type: 130 },
          { type: 130, match_sub_type: true, sub_type: 3 },
        ],
      },
    ],
  },
  {
    name: "TestHTTPHeader",
    cmd: "hubble observe --http-header foo:bar --http-header Foo:coco:bar",
    whitelist: [
      {
        http_header: [
          { key: "foo", value: "bar" },
          { key: "Foo", value: "coco:bar" },
        ],
      },
    ],
  },
  {
    name: "TestUuid",
    cmd: "hubble observe --uuid b9fab269-04ae-495c-9d12-b6c36d41de0d",
    whitelist: [{ uuid: ["b9fab269-04ae-495c-9d12-b6c36d41de0d"] }],
  },
  {
    name: "TestSnatIp / TestInterface",
    cmd: "hubble observe --snat-ip 2.2.2.2/16 --interface eth0",
    whitelist: [{ source_ip_xlated: ["2.2.2.2/16"], interface: [{ name: "eth0" }] }],
  },
  {
    name: "drop reason, tcp flags, ip version",
    cmd: "hubble observe --drop-reason-desc POLICY_DENIED --tcp-flags syn --tcp-flags SYN,ACK -6",
    whitelist: [{ drop_reason_desc: ["POLICY_DENIED"], tcp_flags: [{ SYN: true }, { SYN: true, ACK: true }], ip_version: ["IPv6"] }],
  },
  {
    name: "fqdn pairs like ip",
    cmd: "hubble observe --fqdn '*.cilium.io' --to-port 443",
    whitelist: [
      { source_fqdn: ["*.cilium.io"], destination_port: ["443"] },
      { destination_fqdn: ["*.cilium.io"], destination_port: ["443"] },
    ],
  },
  {
    name: "no filters at all",
    cmd: "hubble observe --last 100 -o jsonpb",
  },
];

test("built filters equal what the hubble CLI builds from the same flags", () => {
  for (const c of CLI_CASES) {
    const built = toHubbleFilters(parseHubbleObserveCommand(c.cmd));
    assert.deepEqual(json(built.whitelist), c.whitelist ?? [], `${c.name}: whitelist`);
    assert.deepEqual(json(built.blacklist), c.blacklist ?? [], `${c.name}: blacklist`);
  }
});

test("Hubble filters read back into a query that builds the same filters", () => {
  for (const c of CLI_CASES) {
    const built = toHubbleFilters(parseHubbleObserveCommand(c.cmd));
    const back = fromHubbleFilters(built);
    assert.ok(back.ok, `${c.name}: ${!back.ok && back.error}`);
    const rebuilt = toHubbleFilters(back.query);
    assert.deepEqual(canonicalFiltersJson(rebuilt.whitelist), canonicalFiltersJson(built.whitelist), c.name);
    assert.deepEqual(canonicalFiltersJson(rebuilt.blacklist), canonicalFiltersJson(built.blacklist), c.name);
  }
});

test("reading back prefers the namespace picker and top-level verdicts", () => {
  const q = query({ namespaces: ["shop", "web"], verdicts: ["DROPPED"], filters: ["from:label=app=x", "!namespace=kube-system", "!verdict=AUDIT"] });
  const back = fromHubbleFilters(toHubbleFilters(q));
  assert.ok(back.ok);
  assert.deepEqual(back.query, q);
});

test("namespace picker combined with a pod from that namespace (a combination the CLI refuses) is built and read back", () => {
  const q = query({ namespaces: ["shop"], filters: ["from:pod=shop/frontend", "type=drop"] });
  const built = toHubbleFilters(q);
  assert.deepEqual(json(built.whitelist), [
    { source_pod: ["shop/frontend"], event_type: [{ type: 1 }] },
    { source_pod: ["shop/frontend"], destination_pod: ["shop/"], event_type: [{ type: 1 }] },
  ]);
  const back = fromHubbleFilters(built);
  assert.ok(back.ok);
  assert.deepEqual(back.query, q);
});

test("queries whose namespaces would be silently dropped are refused", () => {
  const cases: [FlowQuery, RegExp][] = [
    [query({ namespaces: ["shop"], filters: ["pod=other/x"] }), /names namespace "other", outside the namespace selection \(shop\)/],
    [query({ namespaces: ["shop"], filters: ["to:service=/kube-dns"] }), /names any namespace/],
    [query({ filters: ["from:namespace=a", "pod=b/x"] }), /outside the from:namespace selection \(a\)/],
    [query({ filters: ["!namespace=kube-system", "!pod=default/x"] }), /outside the namespace selection \(kube-system\)/],
    [query({ namespaces: ["b"], filters: ["from:namespace=a"] }), /filter "from:namespace=a" names namespace "a", outside the namespace selection \(b\)/],
  ];
  for (const [q, pattern] of cases) {
    assert.throws(
      () => toHubbleFilters(q),
      (e: unknown) => e instanceof InvalidFlowQueryError && pattern.test(e.message),
    );
  }
  // Accepted: every built filter stays inside the selected namespaces.
  for (const q of [
    query({ namespaces: ["shop", "web"], filters: ["from:pod=shop/frontend"] }),
    query({ namespaces: ["shop", "web"], filters: ["pod=shop/frontend"] }),
    query({ namespaces: ["shop"], filters: ["from:pod=shop/a", "to:pod=default/x"] }),
    query({ namespaces: ["shop"], filters: ["to:namespace=shop", "from:pod=x"] }),
  ]) {
    assert.doesNotThrow(() => toHubbleFilters(q));
  }
});

test("filters that no query can build are reported, not guessed", () => {
  const ff = (init: Parameters<typeof create<typeof FlowFilterSchema>>[1]) => create(FlowFilterSchema, init);
  const cases: [FlowFilter[], RegExp][] = [
    [[ff({ sourcePod: ["a"] }), ff({ sourcePod: ["b"] }), ff({ sourcePod: ["c"] })], /3 filters in one list/],
    [[ff({ reply: [true] })], /field reply has no filter-bar entry/],
    [[ff({ dnsQuery: ["x"] })], /field dnsQuery/],
    [[ff({ experimental: { celExpression: ["true"] } })], /CEL/],
    [[ff({ verdict: [2] }), ff({ verdict: [1] })], /verdict differs between the two filters/],
    [[ff({ sourcePod: ["a"] }), ff({ sourceLabel: ["x"] })], /do not form a source\/destination pair|differs/],
    [[ff({ trafficDirection: [0] })], /traffic direction 0 has no CLI spelling/],
  ];
  for (const [whitelist, pattern] of cases) {
    const r = fromHubbleFilters({ whitelist, blacklist: [] });
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, pattern);
  }
});

test("an empty query sends no filters", () => {
  assert.deepEqual(toHubbleFilters(query()), { whitelist: [], blacklist: [] });
  const back = fromHubbleFilters({ whitelist: [], blacklist: [] });
  assert.ok(back.ok);
  assert.deepEqual(back.query, query());
});
