import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultViewState, parseViewState, viewStateToParams } from "./view-state";

test("policy: a policy key survives the URL round trip", () => {
  const view = { ...defaultViewState(), panel: "drops" as const, policy: "NetworkPolicy/payments/default-deny" };
  const parsed = parseViewState(viewStateToParams(view));
  assert.equal(parsed.ok, true);
  assert.equal(parsed.view.policy, "NetworkPolicy/payments/default-deny");
  assert.equal(parsed.view.panel, "drops");
});

test("policy: absent by default and not written when unset", () => {
  const parsed = parseViewState(new URLSearchParams(""));
  assert.equal(parsed.view.policy, undefined);
  assert.equal(viewStateToParams(defaultViewState()).has("policy"), false);
});

test("policy: an oversized value is left out, the rest of the link still opens", () => {
  const parsed = parseViewState(new URLSearchParams({ policy: "x".repeat(600), panel: "drops" }));
  assert.equal(parsed.view.policy, undefined);
  assert.equal(parsed.view.panel, "drops");
});
