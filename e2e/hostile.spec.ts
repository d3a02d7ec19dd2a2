import { expect, test } from "./fixtures";

// Flow text comes from workloads in the cluster and may be hostile. This server replays a capture
// whose pod names, labels, HTTP paths, DNS names and node names carry HTML and script payloads:
// nothing may run, and the text must show literally.

const HOSTILE_BASE = `http://127.0.0.1:${Number(process.env.E2E_HOSTILE_PORT ?? 3101)}`;
const IMG = '<img src=x onerror="window.__xss=1">';
const SCRIPT = "<script>window.__xss=2</script>";

test("hostile flow text renders as text and never runs", async ({ page }) => {
  await page.goto(`${HOSTILE_BASE}/`);
  const rows = page.locator('[role="grid"] [role="row"][data-index]');
  await expect(rows.first()).toBeVisible();
  await expect(rows.filter({ hasText: IMG }).first()).toBeVisible();
  await expect(page.locator("[data-node-id]").filter({ hasText: "<img src=x" }).first()).toBeVisible();
  await rows.filter({ hasText: "GET" }).first().click();
  const drawer = page.getByRole("dialog");
  await expect(drawer).toBeVisible();
  await expect(drawer.getByText(SCRIPT, { exact: false }).first()).toBeVisible();
  await expect(drawer.locator("pre")).toContainText('onerror=\\"window.__xss=1\\"');
  // Hover the map so labels and endpoint lists render too.
  await page.locator("[data-node-id]").first().hover();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  // No element came out of flow text.
  expect(await page.locator("img[src='x'], svg[onload]").count()).toBe(0);
});
