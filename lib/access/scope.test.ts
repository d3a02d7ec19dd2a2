import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFlowFilters } from "@/lib/filters";
import { filter, flow, type FilterInit, type FlowInit } from "@/lib/filters/testing";
import { ALL_NAMESPACES, flowVisible, namespacesAccess, restrictFilters } from "./scope";

// The restriction is checked by what it lets through: the restricted filters are compiled with the
// same filter engine the hub and the demo relay use (Hubble's semantics), and run over flows
// between every pair of namespaces.

const NAMESPACES = ["shop", "payments", "billing", "kube-system", ""];
const ep = (namespace: string, pod = "web-1"): FlowInit["source"] => (namespace === "" ? { labels: ["reserved:world"] } : { namespace, podName: pod });
const between = (src: string, dst: string, more: { verdict?: number } = {}): FlowInit => ({ source: ep(src), destination: ep(dst), ...more });

function restricted(whitelist: FilterInit[], allowed: string[], blacklist: FilterInit[] = []) {
  const r = restrictFilters({ whitelist: whitelist.map(filter), blacklist: blacklist.map(filter) }, namespacesAccess(allowed));
  if (!r.ok) return undefined;
  return compileFlowFilters(r.filters.whitelist, r.filters.blacklist);
}

describe("namespace-scoped flow filters (lib/access/scope.ts)", () => {
  it("without a view filter: exactly the flows whose source or destination is allowed", () => {
    const match = restricted([], ["shop", "payments"])!;
    for (const src of NAMESPACES) {
      for (const dst of NAMESPACES) {
        const want = ["shop", "payments"].includes(src) || ["shop", "payments"].includes(dst);
        assert.equal(match(flow(between(src, dst))), want, `${src || "world"} → ${dst || "world"}`);
        assert.equal(flowVisible(namespacesAccess(["shop", "payments"]), src, dst), want);
      }
    }
  });

  it("ANDs into each view filter: a verdict filter keeps its meaning inside the allowed flows", () => {
    const match = restricted([{ verdict: [2] }], ["shop"])!;
    assert.equal(match(flow(between("shop", "billing", { verdict: 2 }))), true);
    assert.equal(match(flow(between("shop", "billing", { verdict: 1 }))), false);
    assert.equal(match(flow(between("billing", "payments", { verdict: 2 }))), false);
  });

  it("keeps a view's own pods inside the allowed namespaces, and drops those outside", () => {
    // from:pod=billing/… OR to:pod=shop/… as two filters; only shop is allowed.
    const match = restricted([{ sourcePod: ["billing/"] }, { destinationPod: ["shop/"] }], ["shop"])!;
    assert.equal(match(flow(between("billing", "shop"))), true, "billing → shop: destination allowed");
    assert.equal(match(flow(between("billing", "payments"))), false, "billing → payments: neither allowed");
    assert.equal(match(flow(between("payments", "shop"))), true);
    assert.equal(match(flow(between("shop", "payments"))), false, "the view asks for billing sources or shop destinations");
  });

  it("makes a pod prefix for any namespace (/name) specific to each allowed one", () => {
    const match = restricted([{ sourcePod: ["/web"] }], ["shop"])!;
    assert.equal(match(flow(between("shop", "billing"))), true);
    assert.equal(match(flow(between("billing", "shop"))), true, "destination in shop, source a web pod");
    assert.equal(match(flow(between("billing", "payments"))), false);
  });

  it("refuses a view that only asks for namespaces outside the access, instead of sending an empty whitelist", () => {
    const r = restrictFilters({ whitelist: [filter({ sourcePod: ["billing/"], destinationPod: ["payments/"] })], blacklist: [] }, namespacesAccess(["shop"]));
    assert.equal(r.ok, false);
    assert.equal(restrictFilters({ whitelist: [], blacklist: [] }, namespacesAccess([])).ok, false, "no namespace at all");
  });

  it("keeps the blacklist: it only takes flows away", () => {
    const match = restricted([], ["shop"], [{ destinationPod: ["kube-system/"] }])!;
    assert.equal(match(flow(between("shop", "kube-system"))), false);
    assert.equal(match(flow(between("shop", "billing"))), true);
  });

  it("leaves the filters as they are for someone who sees every namespace", () => {
    const filters = { whitelist: [filter({ verdict: [2] })], blacklist: [] };
    const r = restrictFilters(filters, ALL_NAMESPACES);
    assert.ok(r.ok);
    assert.equal(r.filters, filters);
  });

  it("matches namespaces exactly, not as prefixes", () => {
    const match = restricted([], ["shop"])!;
    assert.equal(match(flow(between("shop-staging", "shop-backend"))), false);
  });
});
