import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { parsePolicyDocuments } from "@/lib/policy/documents";
import { flow, pod } from "@/lib/policy/test-builders";
import { DEFAULT_SETTINGS, type PoliciesResponse } from "@/lib/policy/types";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { PolicyPanel } from "./policy-panel";
import { usePolicyExplainer } from "./use-policy-explainer";

afterEach(cleanup);

const CART_INGRESS = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: cart-ingress
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: cart
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: frontend
      toPorts:
        - ports:
            - port: "8080"
              protocol: TCP
`;

/** The policies as an investigation saved them: nothing is fetched. */
function saved(yaml: string): PoliciesResponse {
  const parsed = parsePolicyDocuments(yaml, "test.yaml");
  assert.deepEqual(parsed.problems, []);
  return {
    source: "investigation",
    status: { state: "ready", message: null },
    version: 1,
    since: "2026-01-01T00:00:00Z",
    policies: parsed.policies,
    namespaceLabels: {},
    settings: DEFAULT_SETTINGS,
    problems: [],
    history: [],
  };
}

const CART = pod("shop", "cart-1", { app: "cart" });
const dropped = flow({ src: pod("shop", "checkout-1", { app: "checkout" }), dst: CART, port: 8080, verdict: "DROPPED", dropReason: "POLICY_DENIED" }) as JsonObject;
const allowed = flow({ src: pod("shop", "frontend-1", { app: "frontend" }), dst: CART, port: 8080 }) as JsonObject;

function renderPanel(raw: JsonObject, policies = saved(CART_INGRESS)) {
  function Panel() {
    const explainer = usePolicyExplainer(new Map([["f1", raw]]), policies);
    return <PolicyPanel explainer={explainer} flowId="f1" raw={raw} row={undefined} />;
  }
  render(withQueryClient(<Panel />));
  return screen.getByTestId("policy-panel");
}

describe("PolicyPanel", () => {
  it("a drop is explained at once: denied by default deny, the isolating policy, a suggested fix", () => {
    const panel = renderPanel(dropped);
    assert.match(panel.textContent!, /Denied/);
    assert.match(panel.textContent!, /default deny/);
    assert.equal(screen.getByTestId("policy-evidence").dataset.evidence, "policies");
    const isolating = screen.getByTestId("policy-isolating");
    assert.match(isolating.textContent!, /CiliumNetworkPolicy shop\/cart-ingress · isolates ingress/);
    // The policy's YAML is one click away.
    assert.match(isolating.textContent!, /app: frontend/);
    assert.match(screen.getByTestId("policy-suggestion").textContent!, /Suggested fix/);
  });

  it("an allowed flow is explained only when asked", () => {
    const panel = renderPanel(allowed);
    assert.doesNotMatch(panel.textContent!, /Allowed/);
    fireEvent.click(screen.getByRole("button", { name: "Explain this flow" }));
    assert.match(panel.textContent!, /Allowed/);
    assert.match(panel.textContent!, /allowed by a rule/);
    assert.match(screen.getByTestId("policy-decisive").textContent!, /Allowing rule.*CiliumNetworkPolicy shop\/cart-ingress/);
  });

  it("the suggested fix is copied as YAML, and says so", async () => {
    const written: string[] = [];
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async (text: string) => void written.push(text) } });
    renderPanel(dropped);
    fireEvent.click(screen.getByRole("button", { name: "Copy the suggested policy YAML" }));
    await waitUntil(() => written.length === 1, "the copy");
    assert.match(written[0], /kind: CiliumNetworkPolicy/);
    assert.equal(written[0], screen.getByTestId("policy-suggestion").querySelector("pre")!.textContent);
    await waitUntil(() => screen.getByTestId("copy-suggestion").textContent === "Copied", "the button to say Copied");
  });

  it("with no policies loaded, says so and cannot explain", () => {
    renderPanel(allowed, { ...saved(""), source: "none" });
    assert.ok(screen.getByTestId("policy-none"));
    assert.equal((screen.getByRole("button", { name: "Explain this flow" }) as HTMLButtonElement).disabled, true);
  });
});
