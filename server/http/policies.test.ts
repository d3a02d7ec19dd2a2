import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { compilePolicySet, explainFlow } from "@/lib/policy";
import { DEFAULT_SETTINGS, policySetOf } from "@/lib/policy/types";
import { loadServerConfig } from "@/server/config/env";
import { createPolicyService, type PolicyService } from "@/server/policies";
import { CompiledPolicyCache } from "@/server/policies/compiled-cache";
import { shopFlow, twoVersionPolicyService } from "@/server/policies/testing";
import { policiesResponse, type PoliciesResponseBody } from "./policies";
import { ALL_NAMESPACES, namespacesAccess, type NamespaceAccess } from "@/lib/access/scope";

// GET /api/policies' body with real Requests, over a directory source with two versions.

let fixture: Awaited<ReturnType<typeof twoVersionPolicyService>>;
let service: PolicyService;

before(async () => {
  fixture = await twoVersionPolicyService("hl-policies-api-");
  service = fixture.service;
});

after(() => fixture.close());

async function get(query = ""): Promise<{ status: number; body: PoliciesResponseBody }> {
  const res = policiesResponse(new Request(`http://lens.test/api/policies${query}`), service);
  return { status: res.status, body: (await res.json()) as PoliciesResponseBody };
}

describe("GET /api/policies", () => {
  it("never shows the server's absolute paths (HUBBLE_LENS_POLICIES is named by its base name)", async () => {
    const res = policiesResponse(new Request("http://lens.test/api/policies"), service);
    const text = await res.text();
    assert.doesNotMatch(text, /"\/(tmp|root|home|work|var)\//);
    assert.doesNotMatch(text, new RegExp(tmpdir().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    assert.match(JSON.parse(text).status.message, /files in HUBBLE_LENS_POLICIES \(policies\)/);
  });

  it("has the documented shape: source, status, the set, problems and history", async () => {
    const { status, body } = await get();
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body), ["source", "status", "version", "since", "policies", "namespaceLabels", "settings", "workloadPorts", "problems", "history"]);
    assert.equal(body.source, "directory");
    assert.equal(body.status.state, "ready");
    assert.equal(body.version, 2);
    assert.equal(body.since, "2026-01-01T11:00:00.000Z");
    assert.deepEqual(body.settings, DEFAULT_SETTINGS);
    assert.deepEqual(body.namespaceLabels.shop, { team: "web", "kubernetes.io/metadata.name": "shop" });
    assert.equal(body.policies.length, 1);
    const p = body.policies[0];
    assert.deepEqual([p.kind, p.namespace, p.name], ["CiliumNetworkPolicy", "shop", "cart-ingress"]);
    assert.match(p.origin, /^file policies\/shop\/cart\.yaml document 1/);
    assert.match(p.yaml, /9090/);
    assert.deepEqual(body.history, [
      { version: 1, since: "2026-01-01T09:00:00.000Z", added: ["CiliumNetworkPolicy/shop/cart-ingress"], changed: [], removed: [] },
      { version: 2, since: "2026-01-01T11:00:00.000Z", added: [], changed: ["CiliumNetworkPolicy/shop/cart-ingress"], removed: [] },
    ]);
    assert.ok(
      body.problems.some((x) => /Deployment/.test(x.message)),
      "the skipped Deployment is reported",
    );
  });

  it("gives the version in force at ?at=", async () => {
    const { body } = await get("?at=2026-01-01T10:00:00.5Z");
    assert.equal(body.version, 1);
    assert.match(body.policies[0].yaml, /8080/);
    assert.equal(body.history.length, 2, "history is always the whole kept history");
  });

  it("answers 400 for an ?at= that is not an RFC 3339 time", async () => {
    const { status, body } = await get("?at=yesterday");
    assert.equal(status, 400);
    assert.match((body as unknown as { error: { code: string; message: string } }).error.message, /at must be an RFC 3339 time/);
  });

  it("is what the browser needs to explain flows itself, with the same answer as the server", async () => {
    const { body } = await get("?at=2026-01-01T10:00:00Z");
    assert.equal(explainFlow(shopFlow("client", 8080), compilePolicySet(policySetOf(body))).verdict, "allowed");
  });

  it("carries the workloads' named ports, so the browser resolves a named-port rule as the server does", async () => {
    const root = mkdtempSync(join(tmpdir(), "hl-policies-named-"));
    writeFileSync(
      join(root, "api.yaml"),
      `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-http, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: [{ports: [{port: http, protocol: TCP}]}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]}
`,
    );
    const named = await createPolicyService(loadServerConfig({ HUBBLE_LENS_POLICIES: root }), undefined);
    try {
      const body = (await policiesResponse(new Request("http://lens.test/api/policies"), named).json()) as PoliciesResponseBody;
      assert.deepEqual(body.workloadPorts, [
        { namespace: "shop", workload: "Deployment shop/api", podLabels: { app: "api" }, ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
      ]);
      const flow = {
        IP: { source: "10.0.1.1", destination: "10.0.0.5" },
        l4: { TCP: { source_port: 40000, destination_port: 8080 } },
        source: { identity: 5001, namespace: "shop", pod_name: "web-1", labels: ["k8s:app=web", "k8s:io.kubernetes.pod.namespace=shop"] },
        destination: { ID: 1, identity: 5002, namespace: "shop", pod_name: "api-1", labels: ["k8s:app=api", "k8s:io.kubernetes.pod.namespace=shop"] },
        traffic_direction: "INGRESS",
        verdict: "FORWARDED",
      };
      const browser = explainFlow(flow, compilePolicySet(policySetOf(body)));
      const server = explainFlow(flow, new CompiledPolicyCache().get(named.current()));
      assert.deepEqual(browser, server);
      assert.equal(browser.verdict, "allowed");
      assert.deepEqual(browser.decisive, { kind: "CiliumNetworkPolicy", namespace: "shop", name: "api-http", rule: "ingress[0]" });
      // Without the ports the rule's "http" means nothing here: what the browser answered before.
      const { workloadPorts: _ports, ...withoutPorts } = body;
      assert.notDeepEqual(explainFlow(flow, compilePolicySet(policySetOf(withoutPorts))).decisive, browser.decisive);
    } finally {
      await named.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("answers an unchanged set with 304 Not Modified to a poll that has its ETag", async () => {
    const first = policiesResponse(new Request("http://lens.test/api/policies"), service);
    const etag = first.headers.get("etag");
    assert.ok(etag && /^"[A-Za-z0-9_-]+"$/.test(etag), String(etag));
    assert.equal(first.headers.get("cache-control"), "no-cache");
    const again = policiesResponse(new Request("http://lens.test/api/policies", { headers: { "If-None-Match": etag } }), service);
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    const other = policiesResponse(new Request("http://lens.test/api/policies?at=2026-01-01T10:00:00Z", { headers: { "If-None-Match": etag } }), service);
    assert.equal(other.status, 200, "another version is another body");
  });
});

describe("GET /api/policies with namespace-scoped access", () => {
  const scopedGet = async (access: NamespaceAccess) => (await policiesResponse(new Request("http://lens.test/api/policies"), service, access).json()) as PoliciesResponseBody;

  it("shows only the policies and namespace labels of the person's namespaces, and no problems", async () => {
    const all = await scopedGet(ALL_NAMESPACES);
    assert.ok(all.policies.some((p) => p.namespace === "shop"));
    const shop = await scopedGet(namespacesAccess(["shop"]));
    assert.deepEqual(
      shop.policies.map((p) => p.name),
      all.policies.filter((p) => p.namespace === "shop" || p.kind === "CiliumCIDRGroup").map((p) => p.name),
    );
    const other = await scopedGet(namespacesAccess(["billing"]));
    assert.ok(!other.policies.some((p) => p.namespace === "shop"));
    assert.ok(!Object.keys(other.namespaceLabels).includes("shop"));
    assert.deepEqual(other.problems, []);
    for (const h of other.history) for (const k of [...h.added, ...h.changed, ...h.removed]) assert.doesNotMatch(k, /\/shop\//);
  });
});
