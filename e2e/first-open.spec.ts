import { expect, test } from "./fixtures";

test("the first open shows live flows from the shop demo", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Hubble Lens" })).toBeVisible();
  // Flows of the shop scenario arrive over /api/flows.
  await expect(page.locator("[data-verdict]").first()).toBeVisible();
  await expect(page.getByText(/shop-frontend|shop-backend|payments/).first()).toBeVisible();
});
