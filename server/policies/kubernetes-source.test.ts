// The Kubernetes policy source against FakeApiServer, a small HTTP server started here that stands
// in for kube-apiserver (there is none on this machine): it speaks list + watch for the four
// resources. The real @kubernetes/client-node (KubeConfig from a kubeconfig file, the generated
// list clients, Watch) talks to it, so what is tested is the code that runs against a cluster.

import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { policyKey } from "@/lib/policy/types";
import { loadServerConfig } from "@/server/config/env";
import { closedPort, waitUntil } from "@/server/http/testing";
import { FakeApiServer } from "./fake-apiserver";
import { createPolicyService, resolveSourceKind, type PolicyService } from "./index";

const tmp = mkdtempSync(join(tmpdir(), "hl-k8s-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FAST = { backoff: { baseMs: 20, capMs: 150 }, settleMs: 10, initialWaitMs: 5000, pageSize: 500 };

function cnp(namespace: string, name: string, app: string) {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      managedFields: [{ manager: "kubectl" }],
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{…}" },
    },
    spec: { endpointSelector: { matchLabels: { app } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "client" } }] }] },
  };
}

const ccnp = {
  apiVersion: "cilium.io/v2",
  kind: "CiliumClusterwideNetworkPolicy",
  metadata: { name: "allow-dns" },
  spec: { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system" } }] }] },
};

const np = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "default-deny", namespace: "payments" },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
};

function namespace(name: string, labels: Record<string, string>) {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels }, spec: {} };
}

async function startApi(): Promise<FakeApiServer> {
  const api = new FakeApiServer();
  await api.listen();
  cleanups.push(() => api.close());
  return api;
}

function seedCluster(api: FakeApiServer): void {
  api.seed("cnp", cnp("shop", "cart", "cart"));
  api.seed("ccnp", ccnp);
  api.seed("np", np);
  api.seed("namespaces", namespace("shop", { team: "web" }));
  api.seed("namespaces", namespace("payments", { team: "payments" }));
}

async function startService(api: FakeApiServer, extra: Partial<typeof FAST> = {}): Promise<PolicyService> {
  const kc = new KubeConfig();
  kc.loadFromFile(api.writeKubeconfig(tmp));
  const config = loadServerConfig({ HUBBLE_LENS_POLICY_SOURCE: "kubernetes" });
  const service = await createPolicyService(config, undefined, { kubernetes: { ...FAST, ...extra, kubeConfig: kc } });
  cleanups.push(() => service.close());
  return service;
}

function keys(service: PolicyService): string[] {
  return service.current().policies.map(policyKey);
}

describe("Kubernetes source", () => {
  it("lists the three policy kinds and namespace labels with the kubeconfig's credentials", async () => {
    const api = await startApi();
    seedCluster(api);
    const service = await startService(api);
    assert.equal(service.sourceKind, "kubernetes");
    assert.equal(service.status().state, "ready", JSON.stringify(service.status()));
    assert.equal(service.current().version, 1);
    assert.deepEqual(keys(service), ["CiliumClusterwideNetworkPolicy/allow-dns", "CiliumNetworkPolicy/shop/cart", "NetworkPolicy/payments/default-deny"]);
    assert.deepEqual(service.current().namespaceLabels.shop, { team: "web", "kubernetes.io/metadata.name": "shop" });
    assert.deepEqual([...api.authorizations], ["Bearer test-token"]);

    const cart = service.current().policies.find((p) => p.name === "cart")!;
    assert.equal(cart.origin, "kubernetes");
    assert.equal(cart.uid, "uid-cart");
    assert.ok(cart.resourceVersion, "resourceVersion kept");
    assert.ok(!("managedFields" in (cart.object.metadata as object)), "managedFields dropped");
    assert.doesNotMatch(cart.yaml, /last-applied-configuration/);
    // NetworkPolicy list items come without kind; the source fills it in.
    const deny = service.current().policies.find((p) => p.kind === "NetworkPolicy")!;
    assert.equal(deny.object.kind, "NetworkPolicy");
    assert.equal(deny.object.apiVersion, "networking.k8s.io/v1");
  });

  it("turns a MODIFIED event into a new version naming the policy, and keeps the old one for at()", async () => {
    const api = await startApi();
    seedCluster(api);
    const service = await startService(api);
    await waitUntil(() => api.watcherCount("cnp") === 1 && api.watcherCount("namespaces") === 1, "watches open");
    const v1 = service.current();

    const changedCart = cnp("shop", "cart", "cart-v2");
    api.emit("cnp", "MODIFIED", changedCart);
    await waitUntil(() => service.current().version === 2, "version 2");
    const change = service.history().at(-1)!;
    assert.deepEqual(change.changed, ["CiliumNetworkPolicy/shop/cart"]);
    assert.deepEqual([...change.added, ...change.removed], []);
    assert.equal(service.at(Date.parse(v1.since)).version, 1);

    // A re-apply that only moves the resourceVersion is not a change.
    api.emit("cnp", "MODIFIED", changedCart);
    api.emit("cnp", "ADDED", cnp("shop", "checkout", "checkout"));
    await waitUntil(() => service.current().version === 3, "version 3");
    assert.deepEqual(service.history().at(-1)!.added, ["CiliumNetworkPolicy/shop/checkout"]);
    assert.deepEqual(service.history().at(-1)!.changed, []);

    api.emit("np", "DELETED", np);
    await waitUntil(() => service.current().version === 4, "version 4");
    assert.deepEqual(service.history().at(-1)!.removed, ["NetworkPolicy/payments/default-deny"]);

    api.emit("namespaces", "MODIFIED", namespace("shop", { team: "web", env: "prod" }));
    await waitUntil(() => service.current().version === 5, "version 5");
    assert.deepEqual(service.history().at(-1)!.namespaces, ["shop"]);
    assert.equal(service.current().namespaceLabels.shop.env, "prod");
  });

  it("lists again after the watch expires (410 Gone) and sees what changed meanwhile", async () => {
    const api = await startApi();
    seedCluster(api);
    const service = await startService(api);
    await waitUntil(() => api.watcherCount("cnp") === 1, "cnp watch open");
    const listsBefore = api.requests.filter((r) => r.startsWith("GET /apis/cilium.io/v2/ciliumnetworkpolicies?") && !r.includes("watch=")).length;
    api.seed("cnp", cnp("shop", "missed", "missed"));
    api.expireWatches("cnp");
    await waitUntil(() => keys(service).includes("CiliumNetworkPolicy/shop/missed"), "the missed policy after the relist");
    const listsAfter = api.requests.filter((r) => r.startsWith("GET /apis/cilium.io/v2/ciliumnetworkpolicies?") && !r.includes("watch=")).length;
    assert.equal(listsAfter, listsBefore + 1);
  });

  it("reads lists page by page", async () => {
    const api = await startApi();
    seedCluster(api);
    for (let i = 0; i < 4; i++) api.seed("cnp", cnp("shop", `p${i}`, `p${i}`));
    for (let i = 0; i < 5; i++) api.seed("namespaces", namespace(`ns${i}`, { i: String(i) }));
    const service = await startService(api, { pageSize: 2 });
    assert.equal(keys(service).filter((k) => k.startsWith("CiliumNetworkPolicy/")).length, 5);
    assert.equal(Object.keys(service.current().namespaceLabels).length, 7);
    assert.ok(
      api.requests.some((r) => r.startsWith("GET /api/v1/namespaces?") && r.includes("continue=")),
      "a continued list",
    );
  });

  it("resumes a watch the server ended normally, without listing again", async () => {
    const api = await startApi();
    seedCluster(api);
    const service = await startService(api);
    await waitUntil(() => api.watcherCount("np") === 1, "np watch open");
    const npRequests = () => api.requests.filter((r) => r.startsWith("GET /apis/networking.k8s.io/v1/networkpolicies?"));
    const lists = () => npRequests().filter((r) => !r.includes("watch=")).length;
    const watches = () => npRequests().filter((r) => r.includes("watch="));
    const before = lists();
    api.endWatches("np");
    await waitUntil(() => api.watcherCount("np") === 1 && watches().length === 2, "np watch reopened");
    const resumedFrom = watches().at(-1)!;
    assert.match(resumedFrom, /resourceVersion=\d+/);
    api.emit("np", "ADDED", { ...np, metadata: { name: "late", namespace: "payments" } });
    await waitUntil(() => keys(service).includes("NetworkPolicy/payments/late"), "the event after the resume");
    assert.equal(lists(), before);
  });

  it("reports a forbidden resource with the RBAC it needs, keeps the others, and recovers when granted", async () => {
    const api = await startApi();
    seedCluster(api);
    api.setForbidden("ccnp", true);
    const service = await startService(api);
    assert.deepEqual(keys(service), ["CiliumNetworkPolicy/shop/cart", "NetworkPolicy/payments/default-deny"]);
    const status = service.status();
    assert.equal(status.state, "error");
    assert.match(status.message!, /forbidden to list ciliumclusterwidenetworkpolicies\.cilium\.io/);
    assert.match(status.message!, /verbs \[list, watch\] on resource ciliumclusterwidenetworkpolicies in apiGroup cilium\.io/);
    assert.match(status.message!, /retrying/);
    const problem = service.problems().find((p) => p.where === "kubernetes ciliumclusterwidenetworkpolicies.cilium.io");
    assert.ok(problem, JSON.stringify(service.problems()));
    assert.match(problem.message, /cannot list resource "ciliumclusterwidenetworkpolicies"/);
    assert.equal(status.resources?.find((r) => r.resource === "ciliumclusterwidenetworkpolicies.cilium.io")?.state, "retrying");

    api.setForbidden("ccnp", false);
    await waitUntil(() => keys(service).includes("CiliumClusterwideNetworkPolicy/allow-dns"), "the CCNP once allowed");
    await waitUntil(() => service.status().state === "ready", "ready");
    assert.equal(service.problems().length, 0);
  });

  it("lists and watches CiliumCIDRGroups, and a changed group is a new version", async () => {
    const api = await startApi();
    seedCluster(api);
    const group = (cidrs: string[]) => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumCIDRGroup",
      metadata: { name: "vpn", labels: { role: "vpn" } },
      spec: { externalCIDRs: cidrs },
    });
    api.seed("ccg", group(["10.48.0.0/24"]));
    const service = await startService(api);
    assert.ok(keys(service).includes("CiliumCIDRGroup/vpn"), keys(service).join());
    const vpn = service.current().policies.find((p) => p.kind === "CiliumCIDRGroup")!;
    assert.equal(vpn.namespace, "");
    assert.equal(vpn.object.apiVersion, "cilium.io/v2");
    await waitUntil(() => api.watcherCount("ccg") === 1, "watch open");
    api.emit("ccg", "MODIFIED", group(["10.48.0.0/24", "10.16.0.0/24"]));
    await waitUntil(() => service.current().version === 2, "version 2");
    assert.deepEqual(service.history().at(-1)!.changed, ["CiliumCIDRGroup/vpn"]);
  });

  it("carries on without the Cilium CRDs when they are not installed", async () => {
    const api = await startApi();
    seedCluster(api);
    api.setAbsent("cnp", true);
    api.setAbsent("ccnp", true);
    api.setAbsent("ccg", true);
    const service = await startService(api);
    assert.deepEqual(keys(service), ["NetworkPolicy/payments/default-deny"]);
    assert.equal(service.status().state, "ready");
    assert.match(service.status().message!, /ciliumnetworkpolicies\.cilium\.io CRD is not installed/);
    assert.ok(service.problems().some((p) => /CRD is not installed/.test(p.message)));
  });

  it("does not block or crash when the API server is unreachable, and connects once it is up", async () => {
    const port = await closedPort();
    const api = new FakeApiServer();
    api.port = port;
    seedCluster(api);
    const started = Date.now();
    const service = await startService(api, { initialWaitMs: 300 });
    assert.ok(Date.now() - started < 3000, "start is not held up");
    await waitUntil(() => service.status().state === "error", "error state");
    assert.match(service.status().message!, new RegExp(`Kubernetes API unreachable at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED; retrying`));
    assert.equal(service.current().version, 0);
    assert.deepEqual(keys(service), []);

    await api.listen(port);
    cleanups.push(() => api.close());
    await waitUntil(() => service.status().state === "ready", "ready after the API server comes up");
    assert.equal(keys(service).length, 3);
  });

  it("reports an invalid object by kind, namespace and name, and keeps the rest", async () => {
    const api = await startApi();
    seedCluster(api);
    api.seed("cnp", { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "nospec", namespace: "shop" } });
    const service = await startService(api);
    assert.equal(keys(service).length, 3);
    const p = service.problems().find((x) => x.where === "kubernetes CiliumNetworkPolicy shop/nospec");
    assert.ok(p, JSON.stringify(service.problems()));
  });

  it("is the auto source when a kubeconfig exists and neither a directory nor a demo scenario is set", () => {
    const auto = loadServerConfig({}).policies;
    const file = join(tmp, "auto-kubeconfig");
    writeFileSync(file, "apiVersion: v1\nkind: Config\n");
    assert.equal(resolveSourceKind(auto, undefined, { KUBECONFIG: file, HOME: tmp }), "kubernetes");
    assert.equal(resolveSourceKind(auto, undefined, { KUBECONFIG: join(tmp, "missing"), HOME: tmp }), "none");
    assert.equal(resolveSourceKind(auto, "shop", { KUBECONFIG: file }), "demo");
  });
});
