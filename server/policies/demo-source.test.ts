import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { policyKey } from "@/lib/policy/types";
import { loadServerConfig } from "@/server/config/env";
import { loadScenario, scenarioPolicies } from "@/server/demo-relay/scenario";
import { createPolicyService } from "./index";

describe("demo source", () => {
  it("gives the shop scenario's policies, with their own YAML, and its namespace labels", async () => {
    const service = await createPolicyService(loadServerConfig({}), "shop");
    try {
      assert.equal(service.sourceKind, "demo");
      assert.equal(service.status().state, "ready");
      const snapshot = service.current();
      assert.equal(snapshot.version, 1);
      const scenario = loadScenario("shop");
      assert.equal(snapshot.policies.length, scenarioPolicies(scenario).length);
      const keys = snapshot.policies.map(policyKey);
      assert.ok(keys.includes("NetworkPolicy/payments/default-deny"), keys.join(", "));
      assert.ok(keys.includes("CiliumClusterwideNetworkPolicy/deny-frontend-to-data"), keys.join(", "));
      const deny = snapshot.policies.find((p) => policyKey(p) === "NetworkPolicy/payments/default-deny")!;
      assert.equal(deny.origin, "scenario shop");
      assert.match(deny.yaml, /^# payments: everything is closed/, "the document's own text, comments included");
      assert.deepEqual(snapshot.namespaceLabels.payments, { team: "payments", compliance: "pci", "kubernetes.io/metadata.name": "payments" });
      assert.deepEqual(snapshot.namespaceLabels["kube-system"], { "kubernetes.io/metadata.name": "kube-system" });
      assert.deepEqual(service.problems(), []);
    } finally {
      await service.close();
    }
  });

  it("is not used when the demo relay replays a capture (no scenario): auto falls through to none", async () => {
    const service = await createPolicyService(loadServerConfig({}), undefined, { env: {} });
    try {
      assert.equal(service.sourceKind, "none");
      assert.equal(service.current().version, 0);
      assert.equal(service.status().state, "ready");
      assert.match(service.status().message!, /HUBBLE_LENS_POLICIES/);
    } finally {
      await service.close();
    }
  });
});
