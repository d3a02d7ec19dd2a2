import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

// The policy-drop investigation on the shop demo (seed 7), against the scenario's declared
// outcomes (server/demo-relay/scenarios/shop.yaml + shop.policies.yaml):
//   prometheus → payments-api :9102   default deny on ingress, isolated by payments' policies
//                                     (NetworkPolicy payments/default-deny among them)
//   storefront → postgres             explicit deny: CCNP deny-frontend-to-data (Hubble names it)

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

async function waitForFlows(page: Page): Promise<void> {
  await expect(rows(page).first()).toBeVisible();
}

/** Waits until the table shows rows and every row's text has all of `parts` (a new stream takes a moment). */
async function expectEveryRow(page: Page, parts: readonly string[]): Promise<void> {
  await expect
    .poll(async () => {
      const texts = await rows(page).evaluateAll((els) => els.map((el) => el.textContent ?? ""));
      if (texts.length === 0) return "no rows";
      const bad = texts.find((t) => parts.some((p) => !t.includes(p)));
      return bad ?? "ok";
    })
    .toBe("ok");
}

test("a default-deny drop names its isolating policies, says why, and its fix copies", async ({ page }) => {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/?namespace=payments&verdict=DROPPED&filter=drop-reason%3DPOLICY_DENIED&filter=to%3Aport%3D9102");
  await waitForFlows(page);
  // The table's policy column is filled from the explanation (Hubble names nothing here).
  await expect(rows(page).first().locator('[data-policy-source="explainer"]')).toContainText("default-deny");
  await rows(page).first().click();
  const panel = page.getByTestId("policy-panel");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("policy-reason")).not.toBeEmpty();
  await expect(panel.getByTestId("policy-evidence")).toHaveAttribute("data-evidence", "policies");
  const isolating = panel.getByTestId("policy-isolating");
  await expect(isolating).toContainText("NetworkPolicy");
  await expect(isolating).toContainText("payments/default-deny");
  // Each isolating policy opens to its YAML.
  const knp = isolating.locator("details", { has: page.locator("summary", { hasText: "NetworkPolicy payments/default-deny" }) });
  await knp.locator("summary").click();
  await expect(knp.getByTestId("policy-yaml")).toContainText("name: default-deny");

  const suggestion = panel.getByTestId("policy-suggestion");
  await expect(suggestion).toBeVisible();
  await suggestion.getByTestId("copy-suggestion").click();
  await expect(suggestion.getByTestId("copy-suggestion")).toHaveText("Copied");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(/kind: (Cilium)?NetworkPolicy/);
});

test("an explicit deny shows the deciding policy, named by Hubble, with its rule highlighted", async ({ page }) => {
  await page.goto("/?verdict=DROPPED&filter=drop-reason%3DPOLICY_DENY");
  await waitForFlows(page);
  await rows(page).first().click();
  const panel = page.getByTestId("policy-panel");
  await expect(panel.getByTestId("policy-evidence")).toHaveAttribute("data-evidence", "hubble");
  const decisive = panel.getByTestId("policy-decisive");
  await expect(decisive).toContainText("CiliumClusterwideNetworkPolicy");
  await expect(decisive).toContainText("deny-frontend-to-data");
  await expect(panel.getByTestId("policy-reason")).not.toBeEmpty();
  await decisive.locator("summary").first().click();
  const yaml = decisive.getByTestId("policy-yaml");
  await expect(yaml).toContainText("ingressDeny");
  await expect(yaml.locator('[data-highlighted="true"]').first()).toBeVisible();
});

test("an allowed flow is explained on request", async ({ page }) => {
  await page.goto("/?namespace=payments&verdict=FORWARDED");
  await waitForFlows(page);
  await rows(page).first().click();
  const panel = page.getByTestId("policy-panel");
  await panel.getByRole("button", { name: "Explain this flow" }).click();
  await expect(panel.getByTestId("policy-reason")).not.toBeEmpty();
});

test("the Drops view groups drops; a click filters the table and the map", async ({ page }) => {
  await page.goto("/?verdict=DROPPED");
  await waitForFlows(page);
  await page.getByRole("button", { name: /^Open the Drops view/ }).click();
  const drops = page.getByTestId("drops-view");
  await expect(drops).toBeVisible();
  await expect(page).toHaveURL(/panel=drops/);
  for (const grouping of ["policy", "reason", "namespaces"]) {
    await expect(drops.locator(`[data-testid="drops-row"][data-grouping="${grouping}"]`).first()).toBeVisible();
  }

  // By policy: the client-side policy filter narrows both the table and the map.
  // The map of every drop first (it fills in as the server's frames arrive).
  await expect.poll(async () => page.locator("[data-edge-id]").count()).toBeGreaterThan(2);
  const edgesBefore = await page.locator("[data-edge-id]").count();
  const policyRow = drops.locator('[data-testid="drops-row"][data-grouping="policy"]', { hasText: "payments/default-deny" });
  await policyRow.click();
  await expect(page).toHaveURL(/policy=NetworkPolicy%2Fpayments%2Fdefault-deny/);
  await expect(policyRow).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("policy-filter")).toContainText("payments/default-deny");
  await expectEveryRow(page, ["default-deny"]);
  await expect.poll(async () => page.locator("[data-edge-id]").count()).toBeLessThan(edgesBefore);
  // Every edge left on the map carries the policy that dropped it.
  await expect.poll(async () => page.locator("[data-edge-id]:not([data-drop-policy])").count()).toBe(0);
  expect(await page.locator("[data-edge-id][data-drop-policy]").count()).toBeGreaterThan(0);
  // The payments workloads are locked: default deny, with the isolating policies in the tooltip.
  await expect(page.locator('[data-node-id^="wl:payments/"] [data-lock]').first()).toBeAttached();
  await expect(page.locator('[data-node-id^="wl:payments/"] [data-lock] title').first()).toContainText("default-deny");
  await page.getByRole("button", { name: "Clear the policy filter" }).click();
  await expect(page).not.toHaveURL(/policy=/);

  // By namespace pair: from/to namespace filters, the same flows for the map (a server filter).
  const pairRow = drops.locator('[data-testid="drops-row"][data-grouping="namespaces"]', { hasText: "monitoring → payments" });
  await pairRow.click();
  await expect(page).toHaveURL(/filter=from%3Anamespace%3Dmonitoring/);
  await expect(page).toHaveURL(/filter=to%3Anamespace%3Dpayments/);
  await expectEveryRow(page, ["monitoring/", "payments/"]);
  await expect.poll(async () => page.locator('[data-node-id^="wl:shop-backend/"]').count()).toBe(0);

  // By drop reason: the drop-reason filter.
  const reasonRow = drops.locator('[data-testid="drops-row"][data-grouping="reason"]', { hasText: "POLICY_DENIED" });
  await reasonRow.click();
  await expect(page).toHaveURL(/filter=drop-reason%3DPOLICY_DENIED/);
  await expectEveryRow(page, ["POLICY_DENIED"]);
});

test("without policies the Drops view and the drawer say so, still group drops, and render hostile names as text", async ({ page }) => {
  // The second server replays a capture with hostile text and has no policy source.
  const hostile = `http://127.0.0.1:${Number(process.env.E2E_HOSTILE_PORT ?? 3101)}`;
  await page.goto(`${hostile}/?verdict=DROPPED&panel=drops`);
  const drops = page.getByTestId("drops-view");
  await expect(drops).toBeVisible();
  await expect(drops.getByTestId("policy-none")).toContainText("No policies loaded — set HUBBLE_LENS_POLICIES or connect to the Kubernetes API");
  await expect(drops.locator('[data-testid="drops-row"][data-grouping="reason"]', { hasText: "POLICY_DENIED" })).toBeVisible();
  await expect(drops.locator('[data-testid="drops-row"][data-grouping="namespaces"]', { hasText: "hostile → hostile" })).toBeVisible();
  await rows(page).first().click();
  const panel = page.getByTestId("policy-panel");
  await expect(panel.getByTestId("policy-none")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator("img[src='x'], svg[onload]").count()).toBe(0);
});
