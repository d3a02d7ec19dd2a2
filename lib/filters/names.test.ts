import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFQDNPatterns, compileNodeNamePatterns } from "./patterns";
import { passes, type FilterInit, type MatchCase } from "./testing";

describe("FQDN patterns", () => {
  const cases: Array<[string, string, boolean]> = [
    ["cilium.io", "cilium.io", true],
    ["cilium.io.", "cilium.io", true],
    ["  CILIUM.io ", "cilium.io", true],
    ["cilium.io", "xcilium.io", false],
    ["cilium.io", "cilium.io.evil.com", false],
    ["*.cilium.io", "docs.cilium.io", true],
    ["*.cilium.io", "a.b.cilium.io", true],
    ["*.cilium.io", "cilium.io", false],
    ["*cilium.io", "cilium.io", true],
    ["cili*", "cilium.io", true],
    ["c.lium.io", "cxlium.io", false],
    ["*", "any.thing", true],
    ["*", "under_score", false],
    ["under_score.io", "under_score.io", true],
    ["cilium.io", "CILIUM.io", false],
  ];
  for (const [pattern, name, want] of cases) {
    it(`${JSON.stringify(pattern)} ${want ? "matches" : "does not match"} ${JSON.stringify(name)}`, () => {
      assert.equal(compileFQDNPatterns([pattern]).test(name), want);
    });
  }
});

describe("node-name patterns", () => {
  const cases: Array<[string, string, boolean]> = [
    ["k8s*", "default/k8s1", true],
    ["k8s*", "other/k8s2", true],
    ["k8s*", "default/node1", false],
    ["cluster-a/", "cluster-a/anything", true],
    ["cluster-a/", "cluster-b/anything", false],
    ["test-cluster/*.domain.com", "test-cluster/n1.domain.com", true],
    ["/node-1", "any/node-1", true],
    ["*/node-1", "any/node-1", true],
  ];
  for (const [pattern, name, want] of cases) {
    it(`${JSON.stringify(pattern)} ${want ? "matches" : "does not match"} ${JSON.stringify(name)}`, () => {
      assert.equal(compileNodeNamePatterns([pattern]).test(name), want);
    });
  }
});

describe("name filters on flows", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { sourceFqdn: ["*.cilium.io"] },
      cases: [
        { name: "source_fqdn matches any of source_names", flow: { sourceNames: ["x.example", "docs.cilium.io"] }, want: true },
        { name: "source_fqdn ignores destination_names", flow: { destinationNames: ["docs.cilium.io"] }, want: false },
        { name: "source_fqdn never matches a flow without names", flow: {}, want: false },
      ],
    },
    {
      filter: { destinationFqdn: ["api.github.com", "*.googleapis.com"] },
      cases: [
        { name: "destination_fqdn patterns are OR'ed", flow: { destinationNames: ["storage.googleapis.com"] }, want: true },
        { name: "destination_fqdn misses others", flow: { destinationNames: ["github.com"] }, want: false },
      ],
    },
    {
      filter: { dnsQuery: ["cilium\\.io\\.$", "^kube-dns"] },
      cases: [
        { name: "dns_query is an unanchored RE2 search", flow: { l7: { record: { case: "dns", value: { query: "docs.cilium.io." } } } }, want: true },
        { name: "dns_query alternatives are OR'ed", flow: { l7: { record: { case: "dns", value: { query: "kube-dns.kube-system.svc.cluster.local." } } } }, want: true },
        { name: "dns_query misses other queries", flow: { l7: { record: { case: "dns", value: { query: "cilium.io.example." } } } }, want: false },
        { name: "dns_query never matches non-DNS flows", flow: { l7: { record: { case: "http", value: { url: "cilium.io." } } } }, want: false },
      ],
    },
    {
      filter: { nodeName: ["kind-worker*"] },
      cases: [
        { name: "a bare flow node name belongs to the default cluster", flow: { nodeName: "kind-worker2" }, want: true },
        { name: "a node pattern without cluster matches every cluster", flow: { nodeName: "kind-kind/kind-worker" }, want: true },
        { name: "node_name misses other nodes", flow: { nodeName: "kind-control-plane" }, want: false },
        { name: "an empty flow node name never matches", flow: { nodeName: "" }, want: false },
      ],
    },
    {
      filter: { nodeName: ["default/"] },
      cases: [
        { name: "default/ matches bare node names", flow: { nodeName: "kind-worker" }, want: true },
        { name: "default/ misses other clusters", flow: { nodeName: "kind-kind/kind-worker" }, want: false },
      ],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
