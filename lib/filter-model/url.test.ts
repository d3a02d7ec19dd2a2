import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFilterEntry } from "./entry";
import { flowQueryToParams, mergeFlowQueryIntoParams, parseFlowQueryParams } from "./url";
import type { FlowQuery } from "./query";

const q = (parts: Partial<Omit<FlowQuery, "filters">> & { filters?: string[] }): FlowQuery => ({
  namespaces: parts.namespaces ?? [],
  verdicts: parts.verdicts ?? [],
  filters: (parts.filters ?? []).map(parseFilterEntry),
  ...(parts.since ? { since: parts.since } : {}),
  ...(parts.until ? { until: parts.until } : {}),
});

test("URL parameters parse into a query, accepting repeated and comma-separated forms", () => {
  const cases: [string, FlowQuery][] = [
    ["", q({})],
    ["namespace=shop&namespace=web", q({ namespaces: ["shop", "web"] })],
    ["namespace=shop,web", q({ namespaces: ["shop", "web"] })],
    ["namespace=shop,&namespace=", q({ namespaces: ["shop"] })],
    ["verdict=DROPPED&verdict=audit", q({ verdicts: ["DROPPED", "AUDIT"] })],
    ["verdict=FORWARDED,DROPPED", q({ verdicts: ["FORWARDED", "DROPPED"] })],
    ["filter=from:pod%3Dshop/frontend&filter=!namespace%3Dkube-system", q({ filters: ["from:pod=shop/frontend", "!namespace=kube-system"] })],
    // a label selector keeps its commas
    ["filter=label%3Dk1%3Dv1,k2%3Dv2", q({ filters: ["label=k1=v1,k2=v2"] })],
    ["since=5m&until=2024-05-01T12:00:00Z", q({ since: "5m", until: "2024-05-01T12:00:00Z" })],
    ["since=5m&page=3&tab=map", q({ since: "5m" })],
  ];
  for (const [search, want] of cases) {
    const r = parseFlowQueryParams(new URLSearchParams(search));
    assert.ok(r.ok, `${search}: ${!r.ok && r.error.message}`);
    assert.deepEqual(r.query, want, search);
  }
});

test("query → URL → query round-trips, and the URL is canonical", () => {
  const queries = [
    q({}),
    q({ namespaces: ["shop"], verdicts: ["DROPPED"], filters: ["from:pod=shop/frontend", "http-status=5+", "!to:port=53"], since: "15m" }),
    q({ filters: ["label=app in (a,b)", "fqdn=*.cilium.io", "http-path=^/api/v1/items?x=1&y=2"], until: "2024-05-01T12:00:00.5+02:00" }),
  ];
  for (const query of queries) {
    const params = flowQueryToParams(query);
    const back = parseFlowQueryParams(new URLSearchParams(params.toString()));
    assert.ok(back.ok, !back.ok ? back.error.message : "");
    assert.deepEqual(back.query, query);
    assert.equal(flowQueryToParams(back.query).toString(), params.toString());
  }
  assert.equal(
    flowQueryToParams(q({ namespaces: ["a", "b"], verdicts: ["DROPPED"], filters: ["pod=x"], since: "5m" })).toString(),
    "namespace=a&namespace=b&verdict=DROPPED&filter=pod%3Dx&since=5m",
  );
});

test("invalid parameters are reported with the parameter's name (→ HTTP 400)", () => {
  const cases: [string, string, RegExp][] = [
    ["namespace=Shop_1", "namespace", /invalid namespace "Shop_1".*DNS label/],
    ["verdict=DROP", "verdict", /unknown verdict "DROP"/],
    ["filter=bogus", "filter", /invalid filter "bogus": missing "="/],
    ["filter=from:http-status%3D500", "filter", /has no source or destination side/],
    ["since=yesterday", "since", /invalid since: invalid time "yesterday"/],
    ["until=5x", "until", /unknown unit "x"/],
    ["since=5m&since=10m", "since", /given 2 times/],
    ["since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z", "until", /before since/],
    ["namespace=shop&filter=pod%3Dother/x", "filter", /outside the namespace selection/],
  ];
  for (const [search, param, pattern] of cases) {
    const r = parseFlowQueryParams(new URLSearchParams(search));
    assert.equal(r.ok, false, search);
    if (!r.ok) {
      assert.equal(r.error.param, param, search);
      assert.match(r.error.message, pattern, search);
    }
  }
});

test("merging a query into existing parameters keeps unrelated ones", () => {
  const merged = mergeFlowQueryIntoParams(new URLSearchParams("tab=map&namespace=old&filter=pod%3Dold"), q({ namespaces: ["new"] }));
  assert.equal(merged.toString(), "tab=map&namespace=new");
});
