import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

// The everyday journeys on the shop demo (seed 7): the first open, narrowing by namespace and
// verdict, following an edge, opening a flow, sharing it, pasting a hubble observe command.

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

async function waitForFlows(page: Page): Promise<void> {
  await expect(rows(page).first()).toBeVisible();
}

test("the first open shows the shop map and live flows", async ({ page }) => {
  await page.goto("/");
  await waitForFlows(page);
  const map = page.getByRole("group", { name: /^Service map:/ });
  await expect(map).toBeVisible();
  await expect.poll(async () => page.locator("[data-node-id]").count()).toBeGreaterThan(5);
  // shop-frontend's workloads, or the namespace as one node when the map collapsed it to stay legible.
  await expect(page.locator('[data-node-id^="wl:shop-frontend/"], [data-node-id="ns:shop-frontend"]').first()).toBeVisible();
  // Live: new flows keep arriving.
  const first = await rows(page).first().textContent();
  await expect.poll(async () => rows(page).first().textContent(), { timeout: 20_000 }).not.toBe(first);
});

test("choosing a namespace and DROPPED shows only those flows", async ({ page }) => {
  await page.goto("/");
  await waitForFlows(page);
  await page.getByRole("button", { name: /^Namespaces:/ }).click();
  await page.getByRole("option", { name: /payments/ }).click();
  await page.keyboard.press("Escape");
  await page.getByRole("group", { name: "Verdicts" }).getByRole("button", { name: "Dropped", exact: true }).click();
  await expect(page).toHaveURL(/namespace=payments/);
  await expect(page).toHaveURL(/verdict=DROPPED/);
  await waitForFlows(page);
  const shown = await rows(page).evaluateAll((els) => els.map((el) => ({ verdict: el.getAttribute("data-verdict"), text: el.textContent ?? "" })));
  expect(shown.length).toBeGreaterThan(0);
  for (const r of shown) {
    expect(r.verdict).toBe("dropped");
    expect(r.text).toContain("payments");
  }
});

test("clicking an edge shows that edge's flows", async ({ page }) => {
  await page.goto("/?namespace=payments");
  await waitForFlows(page);
  const edge = page.locator("[data-edge-id]").first();
  await expect(edge).toBeAttached();
  const edgeId = (await edge.getAttribute("data-edge-id"))!;
  // By its id: `.first()` resolves again on click, and the map may have reordered meanwhile.
  await page.locator(`[data-edge-id="${edgeId.replace(/["\\]/g, "\\$&")}"]`).dispatchEvent("click");
  await expect(page).toHaveURL(new RegExp(`edge=${encodeURIComponent(edgeId).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  const [, , portProto] = edgeId.split("|");
  const port = portProto.split("/")[0];
  await waitForFlows(page);
  const texts = await rows(page).allTextContents();
  expect(texts.length).toBeGreaterThan(0);
  // Requests show the edge's port; replies (marked ↩) travel the other way on the same edge.
  if (port !== "-") for (const t of texts) expect(t.includes(port) || t.includes("↩"), t).toBe(true);
});

test("opening a flow shows its fields and raw JSON", async ({ page }) => {
  await page.goto("/");
  await waitForFlows(page);
  await rows(page).first().click();
  const drawer = page.getByRole("dialog");
  await expect(drawer).toBeVisible();
  await expect(page).toHaveURL(/flow=/);
  const flowId = new URL(page.url()).searchParams.get("flow")!;
  await expect(drawer.getByText(flowId).first()).toBeVisible();
  // The raw JSON (a drop's drawer also shows policy YAML in <pre>s).
  await expect(drawer.locator("pre", { hasText: '{"flow":' })).toContainText('"node_name"');
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();
  await expect(page).not.toHaveURL(/flow=/);
});

test("a shared link opens the same flow and filters in a fresh browser", async ({ page, browser }) => {
  await page.goto("/?verdict=DROPPED");
  await waitForFlows(page);
  await rows(page).first().click();
  await expect(page.getByRole("dialog")).toBeVisible();
  // The drawer opens at once; the URL follows as the router's transition lands.
  await expect(page).toHaveURL(/flow=/);
  const flowId = new URL(page.url()).searchParams.get("flow")!;
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(page.getByText(/copied/)).toBeVisible();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toContain(`flow=${flowId}`);
  expect(link).toMatch(/since=.*until=/);

  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const other = await fresh.newPage();
    await other.goto(link);
    const drawer = other.getByRole("dialog");
    await expect(drawer).toBeVisible();
    await expect(drawer.getByText(flowId).first()).toBeVisible();
    await expect(other.getByRole("group", { name: "Verdicts" }).getByRole("button", { name: "Dropped", exact: true })).toHaveAttribute("aria-pressed", "true");
  } finally {
    await fresh.close();
  }
});

test("a pasted hubble observe command sets the filters", async ({ page }) => {
  await page.goto("/");
  await waitForFlows(page);
  const input = page.getByRole("combobox", { name: "Filter flows" });
  await page.keyboard.press("/");
  await expect(input).toBeFocused();
  await input.fill("hubble observe --namespace payments --verdict DROPPED --to-port 443 -o jsonpb");
  await input.press("Enter");
  await expect(page).toHaveURL(/namespace=payments/);
  await expect(page).toHaveURL(/verdict=DROPPED/);
  await expect(page).toHaveURL(/filter=to%3Aport%3D443|filter=to:port=443/);
  await expect(page.getByRole("list", { name: "Active filters" })).toContainText("443");
});
