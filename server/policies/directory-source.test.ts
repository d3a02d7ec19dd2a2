import { strict as assert } from "node:assert";
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { policyKey } from "@/lib/policy/types";
import { loadServerConfig } from "@/server/config/env";
import { waitUntil } from "@/server/http/testing";
import { createPolicyService } from "./index";
import { loadPolicyPath } from "./policy-files";
import { CompiledPolicyCache } from "./compiled-cache";
import { explainFlow } from "@/lib/policy";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "hl-policies-"));
  dirs.push(d);
  return d;
}

function cnp(namespace: string, name: string, port: string): string {
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  endpointSelector:
    matchLabels:
      app: ${name}
  ingress:
  - toPorts:
    - ports:
      - port: "${port}"
        protocol: TCP
`;
}

const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: web
`;

/** A policy tree like a GitOps checkout: nested directories, multi-document files, one broken document, one Deployment. */
function writeTree(root: string): string {
  const dir = join(root, "policies");
  mkdirSync(join(dir, "apps", "shop"), { recursive: true });
  mkdirSync(join(dir, ".git"), { recursive: true });
  writeFileSync(join(dir, "namespaces.yaml"), NAMESPACE);
  writeFileSync(
    join(dir, "apps", "shop", "policies.yml"),
    [cnp("shop", "cart", "8080"), "kind: CiliumNetworkPolicy\nmetadata:\n  name: broken\n    bad: indentation\n", cnp("shop", "checkout", "9090")].join("---\n"),
  );
  writeFileSync(join(dir, "apps", "deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {}\n");
  writeFileSync(
    join(dir, "apps", "np.json"),
    JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny", namespace: "shop" }, spec: { podSelector: {} } }),
  );
  writeFileSync(join(dir, ".git", "ignored.yaml"), cnp("shop", "from-git-dir", "1"));
  writeFileSync(join(dir, "README.md"), "not a policy");
  return dir;
}

function configFor(path: string) {
  return loadServerConfig({ HUBBLE_LENS_POLICIES: path });
}

describe("directory source", () => {
  it("loads nested, multi-document and JSON files, skipping hidden directories", async () => {
    const dir = writeTree(tempDir());
    const loaded = await loadPolicyPath(dir);
    assert.deepEqual(loaded.policies.map(policyKey).sort(), ["CiliumNetworkPolicy/shop/cart", "CiliumNetworkPolicy/shop/checkout", "NetworkPolicy/shop/deny"]);
    assert.deepEqual(loaded.namespaceLabels.shop, { team: "web", "kubernetes.io/metadata.name": "shop" });
    const cart = loaded.policies.find((p) => p.name === "cart")!;
    assert.match(cart.origin, /^file policies\/apps\/shop\/policies\.yml document 1/);
  });

  it("reports a broken YAML document and an unknown kind with file and document, and keeps the rest", async () => {
    const dir = writeTree(tempDir());
    const loaded = await loadPolicyPath(dir);
    const broken = loaded.problems.find((p) => p.where.includes("policies/apps/shop/policies.yml document 2"));
    assert.ok(broken, `no problem for the broken document in ${JSON.stringify(loaded.problems)}`);
    assert.match(broken.message, /YAML/);
    const deployment = loaded.problems.find((p) => p.where.includes("policies/apps/deploy.yaml document 1"));
    assert.ok(deployment, `no problem for the Deployment in ${JSON.stringify(loaded.problems)}`);
    assert.match(deployment.message, /Deployment/);
  });

  it("takes one file as well as a directory", async () => {
    const root = tempDir();
    const file = join(root, "one.yaml");
    writeFileSync(file, [cnp("a", "x", "1"), cnp("b", "y", "2")].join("---\n"));
    const loaded = await loadPolicyPath(file);
    assert.deepEqual(loaded.policies.map(policyKey), ["CiliumNetworkPolicy/a/x", "CiliumNetworkPolicy/b/y"]);
    assert.match(loaded.policies[0].origin, /^file one\.yaml document 1/);
  });

  it("reads CiliumCIDRGroups and workload port names next to the policies, and explains with them", async () => {
    const root = tempDir();
    writeFileSync(
      join(root, "policies.yaml"),
      `${cnp("shop", "api", "http")}---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: from-vpn, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromCIDRSet: [{cidrGroupRef: vpn}]}]
---
apiVersion: cilium.io/v2
kind: CiliumCIDRGroup
metadata: {name: vpn}
spec: {externalCIDRs: [10.48.0.0/24]}
`,
    );
    writeFileSync(
      join(root, "deploy.yaml"),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, ports: [{name: http, containerPort: 8080}]}]}\n`,
    );
    const service = await createPolicyService(configFor(root), undefined);
    try {
      const snapshot = service.current();
      assert.ok(snapshot.policies.some((p) => policyKey(p) === "CiliumCIDRGroup/vpn"));
      assert.deepEqual(
        snapshot.workloadPorts?.map((w) => w.workload),
        ["Deployment shop/api"],
      );
      assert.deepEqual(service.problems(), []);
      const compiled = new CompiledPolicyCache().get(snapshot);
      const api = { ID: 1, identity: 5002, namespace: "shop", pod_name: "api-1", labels: ["k8s:app=api", "k8s:io.kubernetes.pod.namespace=shop"] };
      const to = (src: Record<string, unknown>, srcIp: string, port: number) =>
        explainFlow(
          {
            IP: { source: srcIp, destination: "10.0.0.5" },
            l4: { TCP: { source_port: 40000, destination_port: port } },
            source: src,
            destination: api,
            traffic_direction: "INGRESS",
            verdict: "FORWARDED",
          },
          compiled,
        );
      const web = { identity: 5001, namespace: "shop", pod_name: "web-1", labels: ["k8s:app=web", "k8s:io.kubernetes.pod.namespace=shop"] };
      assert.deepEqual(to(web, "10.0.1.1", 8080).decisive, { kind: "CiliumNetworkPolicy", namespace: "shop", name: "api", rule: "ingress[0]" });
      assert.equal(to(web, "10.0.1.1", 9090).verdict, "denied");
      assert.deepEqual(to({ identity: 2, labels: ["reserved:world"] }, "10.48.0.9", 22).decisive, {
        kind: "CiliumNetworkPolicy",
        namespace: "shop",
        name: "from-vpn",
        rule: "ingress[0]",
      });
    } finally {
      await service.close();
    }
  });

  it("reports a policy defined twice, and uses the later one", async () => {
    const root = tempDir();
    writeFileSync(join(root, "a.yaml"), cnp("shop", "cart", "1"));
    writeFileSync(join(root, "b.yaml"), cnp("shop", "cart", "2"));
    const loaded = await loadPolicyPath(root);
    assert.equal(loaded.policies.length, 1);
    assert.match(loaded.policies[0].origin, /b\.yaml/);
    assert.ok(loaded.problems.some((p) => /also defined in/.test(p.message)));
  });

  it("picks up a changed file as a new version naming the changed policy, and at() answers by time", async () => {
    const dir = writeTree(tempDir());
    let clock = Date.parse("2026-01-01T10:00:00Z");
    const service = await createPolicyService(configFor(dir), undefined, { now: () => clock, directory: { pollMs: 20, settleMs: 10 } });
    try {
      assert.equal(service.sourceKind, "directory");
      assert.equal(service.status().state, "ready");
      const v1 = service.current();
      assert.equal(v1.version, 1);
      assert.equal(v1.since, "2026-01-01T10:00:00.000Z");
      assert.ok(service.problems().length >= 2);

      const heard: number[] = [];
      const unsubscribe = service.subscribe((c) => c && heard.push(c.version));
      clock = Date.parse("2026-01-01T11:00:00Z");
      const file = join(dir, "apps", "shop", "policies.yml");
      writeFileSync(file, [cnp("shop", "cart", "8081"), cnp("shop", "checkout", "9090")].join("---\n"));
      // Filesystems with coarse mtimes: make sure the change is visible.
      utimesSync(file, new Date(clock), new Date(clock));
      await waitUntil(() => service.current().version === 2, "version 2 after the file change");

      assert.deepEqual(heard, [2], "subscribers hear of the new version");
      unsubscribe();
      const change = service.history().at(-1)!;
      assert.deepEqual(change.changed, ["CiliumNetworkPolicy/shop/cart"]);
      assert.deepEqual(change.added, []);
      assert.deepEqual(change.removed, []);
      assert.equal(change.since, "2026-01-01T11:00:00.000Z");
      // The broken document is gone, so is its problem.
      assert.ok(!service.problems().some((p) => p.where.includes("document 2") && /YAML/.test(p.message)));

      assert.equal(service.at(Date.parse("2026-01-01T10:30:00Z")).version, 1);
      assert.equal(service.at(Date.parse("2026-01-01T11:00:00Z")).version, 2);
      assert.equal(service.at(Date.parse("2026-01-01T12:00:00Z")).version, 2);
      assert.equal(service.at(Date.parse("2025-12-31T00:00:00Z")).version, 1, "older than all kept: the oldest");
      // The older version still holds the policy as it was.
      const cartThen = service.at(Date.parse("2026-01-01T10:30:00Z")).policies.find((p) => p.name === "cart")!;
      assert.match(cartThen.yaml, /8080/);

      clock = Date.parse("2026-01-01T12:00:00Z");
      rmSync(join(dir, "apps", "np.json"));
      await waitUntil(() => service.current().version === 3, "version 3 after the file removal");
      assert.deepEqual(service.history().at(-1)!.removed, ["NetworkPolicy/shop/deny"]);
    } finally {
      await service.close();
    }
  });

  it("keeps the last policies when the directory vanishes, and says so", async () => {
    const root = tempDir();
    const dir = join(root, "policies");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.yaml"), cnp("shop", "cart", "1"));
    const service = await createPolicyService(configFor(dir), undefined, { directory: { pollMs: 20, settleMs: 10 } });
    try {
      rmSync(dir, { recursive: true });
      await waitUntil(() => service.status().state === "error", "error state");
      assert.match(service.status().message!, /ENOENT; keeping the last policies/);
      assert.equal(service.current().version, 1);
      assert.equal(service.current().policies.length, 1);
      mkdirSync(dir);
      writeFileSync(join(dir, "b.yaml"), cnp("shop", "other", "2"));
      await waitUntil(() => service.current().version === 2, "version 2 once it is back");
      assert.equal(service.status().state, "ready");
    } finally {
      await service.close();
    }
  });

  it("gives no new version when a file is touched without changing what it says", async () => {
    const root = tempDir();
    const file = join(root, "a.yaml");
    writeFileSync(file, cnp("shop", "cart", "1"));
    const service = await createPolicyService(configFor(root), undefined, { directory: { pollMs: 20, settleMs: 10 } });
    try {
      writeFileSync(file, `# a comment now\n${cnp("shop", "cart", "1")}`);
      utimesSync(file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
      writeFileSync(join(root, "b.yaml"), cnp("shop", "other", "2"));
      await waitUntil(() => service.current().version === 2, "version 2 for the new file");
      assert.deepEqual(service.history().at(-1)!.added, ["CiliumNetworkPolicy/shop/other"]);
      assert.deepEqual(service.history().at(-1)!.changed, []);
    } finally {
      await service.close();
    }
  });
});
