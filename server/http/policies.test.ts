import { strict as assert } from "node:assert";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { compilePolicySet, explainFlow } from "@/lib/policy";
import { DEFAULT_SETTINGS, type PolicySet } from "@/lib/policy/types";
import type { PolicyService } from "@/server/policies";
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
    assert.deepEqual(Object.keys(body), ["source", "status", "version", "since", "policies", "namespaceLabels", "settings", "problems", "history"]);
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
    assert.ok(body.problems.some((x) => /Deployment/.test(x.message)), "the skipped Deployment is reported");
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
    const set: PolicySet = { policies: body.policies, namespaceLabels: body.namespaceLabels, settings: body.settings };
    assert.equal(explainFlow(shopFlow("client", 8080), compilePolicySet(set)).verdict, "allowed");
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
  const scopedGet = async (access: NamespaceAccess) =>
    (await policiesResponse(new Request("http://lens.test/api/policies"), service, access).json()) as PoliciesResponseBody;

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
