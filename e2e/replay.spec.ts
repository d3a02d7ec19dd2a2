import { expect, test } from "./fixtures";

// The same dashboard over a recorded capture (replayed by the demo relay): flows from a real
// cluster, from Cilium before 1.14 (no uuids), show on the map and in the table.

const BASE = `http://127.0.0.1:${Number(process.env.E2E_HOSTILE_PORT ?? 3101)}`;

test("a recorded capture shows its workloads and flows", async ({ page }) => {
  await page.goto(`${BASE}/?namespace=bookinfo`);
  const rows = page.locator('[role="grid"] [role="row"][data-index]');
  await expect(rows.first()).toBeVisible();
  await expect(rows.filter({ hasText: "bookinfo/reviews-v1" }).first()).toBeVisible();
  await expect(page.locator('[data-node-id^="wl:bookinfo/"], [data-node-id^="app:bookinfo/"]').first()).toBeVisible();
  // A flow without a uuid opens by its content key while it is in view.
  await rows.first().click();
  await expect(page.getByRole("dialog")).toContainText("bookinfo");
});

test("a link to a flow the relay no longer holds says so and keeps the rest of the view", async ({ page }) => {
  const since = "2021-06-16T16:00:00Z";
  const until = "2021-06-16T16:10:00Z";
  await page.goto(`${BASE}/?verdict=DROPPED&since=${since}&until=${until}&flow=0b0b0b0b-0000-4000-8000-000000000000`);
  await expect(page.getByRole("dialog")).toContainText(/no longer holds this flow/);
  await expect(page.getByRole("group", { name: "Verdicts" }).getByRole("button", { name: "Dropped", exact: true })).toHaveAttribute("aria-pressed", "true");
});
