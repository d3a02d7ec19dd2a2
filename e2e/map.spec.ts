import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

// A map you can read (issue 9): on a 1440×900 window the shop demo's map is legible at first
// sight (measured from rendered boxes), large graphs collapse into namespaces that expand and
// collapse again, and a map selection is a removable chip in the filter bar.

test.use({ viewport: { width: 1440, height: 900 } });

const map = (page: Page) => page.getByRole("group", { name: /^Service map:/ });
const nodes = (page: Page) => page.locator("[data-node-id]");

async function waitForMap(page: Page): Promise<void> {
  await expect(map(page)).toBeVisible();
  await expect.poll(async () => nodes(page).count()).toBeGreaterThan(3);
}

/** Waits until the node set stops changing (the first seconds of the stream add nodes). */
async function settle(page: Page): Promise<void> {
  let last = "";
  await expect
    .poll(
      async () => {
        const now = (await nodes(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-node-id")).join(","))) + "";
        const same = now === last;
        last = now;
        return same;
      },
      { intervals: [1500], timeout: 30_000 },
    )
    .toBe(true);
}

test("at first sight node names are at least 11 px tall and the drawing fills its panel", async ({ page }) => {
  await page.goto("/");
  await waitForMap(page);
  await settle(page);
  // Let the automatic fit run after the last change.
  await page.waitForFunction(() => document.querySelectorAll("[data-node-id]").length > 0);
  const m = await page.evaluate(() => {
    const svg = document.querySelector('svg[aria-label^="Service map:"]')!;
    const panel = svg.getBoundingClientRect();
    const labels = [...svg.querySelectorAll("[data-node-label]")].map((t) => t.getBoundingClientRect().height);
    const layer = svg.querySelector(":scope > g")!.getBoundingClientRect(); // the zoom layer: everything drawn
    // The legend and the view's buttons overlay the bottom of the panel: the drawing is fitted to
    // the area above them, and no card lies under the buttons.
    const legend = document.querySelector('[aria-label="Edge colours"]')?.getBoundingClientRect();
    const toolbar = document.querySelector('[role="toolbar"][aria-label="Map view"]')?.getBoundingClientRect();
    const top = panel.top;
    const bottom = Math.min(panel.bottom, legend?.top ?? Infinity, toolbar?.top ?? Infinity);
    const cards = [...svg.querySelectorAll("[data-node-id]")].map((c) => c.getBoundingClientRect());
    const underToolbar = toolbar ? cards.filter((c) => c.top < toolbar.bottom && c.bottom > toolbar.top && c.right > toolbar.left && c.left < toolbar.right).length : 0;
    const ix = Math.max(0, Math.min(layer.right, panel.right) - Math.max(layer.left, panel.left));
    const iy = Math.max(0, Math.min(layer.bottom, bottom) - Math.max(layer.top, top));
    return {
      panel: { w: panel.width, h: panel.height, drawable: bottom - top },
      minLabel: Math.min(...labels),
      labels: labels.length,
      fillX: ix / panel.width,
      fillY: iy / (bottom - top),
      underToolbar,
    };
  });
  expect(m.labels).toBeGreaterThan(3);
  expect(m.minLabel, JSON.stringify(m)).toBeGreaterThanOrEqual(11);
  // Fitted to the panel's aspect: one side spans (nearly) the whole area above legend and buttons, the other most of it.
  expect(Math.max(m.fillX, m.fillY), JSON.stringify(m)).toBeGreaterThanOrEqual(0.9);
  expect(m.fillX * m.fillY, JSON.stringify(m)).toBeGreaterThanOrEqual(0.5);
  expect(m.underToolbar, JSON.stringify(m)).toBe(0);
});

test("a large map collapses into namespaces; a click expands one, its label collapses it again", async ({ page }) => {
  await page.goto("/");
  await waitForMap(page);
  const collapsed = page.locator("[data-collapsed-namespace]");
  await expect.poll(async () => collapsed.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  // A namespace (the world's nodes may be collapsed too, into "(world)": no namespace box to collapse it again).
  const ns = (await page.locator('[data-collapsed-namespace]:not([data-collapsed-namespace="(world)"])').first().getAttribute("data-collapsed-namespace"))!;
  const members = page.locator(`[data-node-id^="wl:${ns}/"], [data-node-id^="app:${ns}/"]`);
  await expect(members).toHaveCount(0);

  // Keyboard: Enter on the namespace node expands it.
  await page.locator(`[data-collapsed-namespace="${ns}"]`).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator(`[data-collapsed-namespace="${ns}"]`)).toHaveCount(0);
  await expect.poll(async () => members.count()).toBeGreaterThan(1);
  await expect(page).not.toHaveURL(/node=/);

  // Its box's label collapses it again.
  await page
    .getByRole("button", { name: `Collapse namespace ${ns}` })
    .first()
    .dispatchEvent("click");
  await expect(page.locator(`[data-collapsed-namespace="${ns}"]`)).toHaveCount(1);
  await expect(members).toHaveCount(0);

  // A click on a collapsed namespace expands it too; "Expand all" shows every node.
  await page.locator(`[data-collapsed-namespace="${ns}"]`).dispatchEvent("click");
  await expect(page.locator(`[data-collapsed-namespace="${ns}"]`)).toHaveCount(0);
  await page.getByRole("button", { name: /^Expand all/ }).click();
  await expect(collapsed).toHaveCount(0);
});

test("a node selection is a chip in the filter bar; removing it clears the selection", async ({ page }) => {
  await page.goto("/?namespace=payments");
  await waitForMap(page);
  const id = (await page.locator('[data-node-id^="wl:payments/"]').first().getAttribute("data-node-id"))!;
  // By its id: "the first payments node" is another one once more nodes arrive.
  const node = page.locator(`[data-node-id="${id}"]`);
  await node.dispatchEvent("click");
  await expect(page).toHaveURL(/node=/);
  expect(new URL(page.url()).searchParams.get("node")).toBe(id);
  const chip = page.getByTestId("map-selection-chip");
  await expect(chip).toHaveAttribute("data-kind", "node");
  await expect(chip).toContainText(id.slice(id.indexOf(":") + 1));
  await expect(node).toHaveAttribute("aria-pressed", "true");

  await chip.getByRole("button", { name: /^Remove map node selection/ }).click();
  await expect(page).not.toHaveURL(/node=/);
  await expect(chip).toHaveCount(0);
  await expect(page.locator(`[data-node-id="${id}"]`)).toHaveAttribute("aria-pressed", "false");
});

test("an edge selection is a chip too; removing it clears the selection", async ({ page }) => {
  await page.goto("/?namespace=payments");
  await waitForMap(page);
  const edge = page.locator("[data-edge-id]").first();
  await expect(edge).toBeAttached();
  const id = (await edge.getAttribute("data-edge-id"))!;
  await edge.dispatchEvent("click");
  await expect.poll(() => new URL(page.url()).searchParams.get("edge")).toBe(id);
  const chip = page.getByTestId("map-selection-chip");
  await expect(chip).toHaveAttribute("data-kind", "edge");
  await expect(chip).toContainText("→");
  // The selected edge's label is shown; no two labels overlap.
  await expect(page.locator(`[data-edge-label="${id}"]`)).toBeVisible();

  await chip.getByRole("button", { name: /^Remove map edge selection/ }).click();
  await expect(page).not.toHaveURL(/edge=/);
  await expect(chip).toHaveCount(0);
});

test("zoomed in, edge labels never overlap; edge colours follow shares, not mere presence", async ({ page }) => {
  await page.goto("/");
  await waitForMap(page);
  await settle(page);
  const zoomIn = page.getByRole("button", { name: "Zoom in" });
  for (let i = 0; i < 4; i++) await zoomIn.click();
  await expect.poll(async () => page.locator("[data-edge-label]").count()).toBeGreaterThan(1);
  const boxes = await page
    .locator("[data-edge-label] rect")
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;
      expect(overlap, `labels ${i} and ${j} overlap: ${JSON.stringify([a, b])}`).toBe(false);
    }
  // Every edge drawn red is more than half dropped (its accessible name says so, in numbers).
  const red = await page.locator('[data-edge-id][data-health="dropped"]').evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
  for (const name of red) expect(name).toMatch(/mostly dropped: [\d,]+ of [\d,]+ flows dropped \((5[1-9]|[6-9]\d|100)%\)/);
  const healthy = await page.locator('[data-edge-id][data-health="healthy"]').evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
  for (const name of healthy) expect(name).not.toMatch(/mostly dropped/);
});

test("encrypted and mutually authenticated edges carry a mark, say so in their names, and the legend explains the marks", async ({ page }) => {
  // The shop demo: WireGuard between nodes, and billing's rules require mutual authentication (SPIRE).
  await page.goto("/?namespace=billing");
  await waitForMap(page);
  const authenticated = page.locator('[data-edge-id]:has([data-mark="authenticated"])');
  await expect.poll(async () => authenticated.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  const authName = (await authenticated.first().getAttribute("aria-label"))!;
  expect(authName).toMatch(/mutually authenticated \(SPIRE\): [\d,]+ policy verdicts? required and passed it/);
  expect(await authenticated.first().getAttribute("data-edge-id")).toMatch(/billing\//);
  await expect(authenticated.first().locator('[data-mark="authenticated"] title')).toHaveText(/^mutually authenticated \(SPIRE\)/);

  const encrypted = page.locator('[data-edge-id]:has([data-mark="encrypted"]), [data-merged-edge-id]:has([data-mark="encrypted"])');
  await expect.poll(async () => encrypted.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  expect(await encrypted.first().getAttribute("aria-label")).toMatch(/encrypted between nodes \(WireGuard or IPsec\): [\d,]+ of [\d,]+ flows \(\S+%\)/);
  // No mark where nothing was encrypted or authenticated: the names of unmarked edges never claim it.
  const plain = await page
    .locator('[data-edge-id]:not(:has([data-mark="encrypted"])):not(:has([data-mark="authenticated"]))')
    .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
  for (const name of plain) expect(name).not.toMatch(/encrypted between nodes|mutually authenticated/);

  const legend = page.getByRole("list", { name: "Edge colours" });
  await expect(legend.getByText("encrypted", { exact: true })).toBeVisible();
  await expect(legend.getByText("mutual auth", { exact: true })).toBeVisible();
});
