import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explainScenario } from "./agreement";
import { listScenarios, loadScenario } from "./load";

// The demo relay against the policy explainer: for every shipped scenario, every drop the
// simulator produces is explained as denied by the policies the scenario declares, and every
// forwarded request as allowed (server/demo-relay/scenario/agreement.ts).

describe("declared outcomes agree with the policy explainer", () => {
  for (const { name } of listScenarios()) {
    it(`${name}: every drop and every forwarded request is explained as declared`, () => {
      const r = explainScenario(loadScenario(name));
      assert.deepEqual(r.compileProblems, []);
      assert.deepEqual(r.problems, []);
      assert.ok(r.dropsChecked > 0 && r.allowedChecked > 0, `${r.dropsChecked} drops, ${r.allowedChecked} forwarded requests`);
    });
  }

  it("reports a declared outcome that the policies contradict", () => {
    const s = loadScenario("starwars");
    const xwing = s.traffic.find((t) => t.name === "xwing-request-landing")!;
    xwing.outcome = { result: "forwarded", policies: [], denyMatchType: "L3-L4", wouldBe: "default-deny" };
    const r = explainScenario(s);
    assert.equal(r.problems.length, 1, r.problems.join("\n"));
    assert.match(r.problems[0], /^xwing-request-landing: declared forwarded but .*the explainer says denied \(default-deny\) at ingress by CiliumNetworkPolicy\/default\/rule1/);
  });

  it("reports a drop charged to the wrong policy", () => {
    const s = loadScenario("shop");
    const t = s.traffic.find((p) => p.name === "storefront-to-postgres")!;
    t.outcome = { ...t.outcome, policies: ["CiliumNetworkPolicy/data/default-deny-ingress"] };
    const r = explainScenario(s);
    assert.ok(
      r.problems.some((p) => /^storefront-to-postgres: declared deny-rule at ingress by CiliumNetworkPolicy\/data\/default-deny-ingress but .*deny-frontend-to-data/.test(p)),
      r.problems.join("\n"),
    );
  });
});
