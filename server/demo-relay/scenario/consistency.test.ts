import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOutcomes, expectedOutcome } from "./consistency";
import { loadScenario } from "./load";

describe("declared outcomes agree with the policies", () => {
  for (const name of ["starwars", "shop"]) {
    it(`${name}: every pattern's outcome follows from its policies`, () => {
      assert.deepEqual(checkOutcomes(loadScenario(name)), []);
    });
  }

  it("starwars: rule1 admits the empire at L7 only and default-denies the alliance", () => {
    const s = loadScenario("starwars");
    assert.equal(expectedOutcome(s, "tiefighter-request-landing").ingress?.proxy, true);
    assert.equal(expectedOutcome(s, "tiefighter-exhaust-port").result, "l7-deny");
    const xwing = expectedOutcome(s, "xwing-request-landing");
    assert.deepEqual([xwing.result, xwing.direction, xwing.policies], ["default-deny", "ingress", ["CiliumNetworkPolicy/default/rule1"]]);
  });

  it("an explicit deny wins over the default deny of the same endpoint", () => {
    const o = expectedOutcome(loadScenario("shop"), "storefront-to-postgres");
    assert.equal(o.result, "deny-rule");
    assert.deepEqual(o.policies, ["CiliumClusterwideNetworkPolicy/deny-frontend-to-data"]);
  });

  it("reports a declared outcome that the policies contradict", () => {
    const s = loadScenario("starwars");
    const xwing = s.traffic.find((t) => t.name === "xwing-request-landing")!;
    xwing.outcome = { result: "forwarded", policies: [], denyMatchType: "L3-L4" };
    const problems = checkOutcomes(s);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^xwing-request-landing: declared .*forwarded.* but policies imply .*default-deny/);
  });
});
