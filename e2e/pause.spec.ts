import { expect, test } from "./fixtures";
import type { Locator, Page } from "@playwright/test";

// Pause, then page through every flow of the window the relay still holds (issue 9 §3): the live
// table shows what the flow budget let through; the pages show all of it, from the relay.

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

/** Flow uuids of an /api/flows/history answer, newest first. */
async function historyIds(page: Page, url: string): Promise<string[]> {
  const res = await page.request.get(url);
  expect(res.status()).toBe(200);
  const flows = (await res.text())
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { flow?: { uuid: string; time: string } }).flow)
    .filter((f) => f !== undefined);
  return flows.sort((a, b) => (nsOf(a.time) < nsOf(b.time) ? 1 : nsOf(a.time) > nsOf(b.time) ? -1 : 0)).map((f) => f.uuid);
}

/** RFC 3339 times with different fraction lengths do not compare as text. */
function nsOf(time: string): bigint {
  const [whole, frac = ""] = time.replace(/Z$/, "").split(".");
  return BigInt(Date.parse(`${whole}Z`)) * 1_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9));
}

/**
 * A live row's box once the page's layout has settled: the row element is replaced as flows
 * arrive (a read then comes back null), and the layout settles after the first frames (the map,
 * the notices above the table), so the box is taken once two reads 300 ms apart agree, or a press
 * can land where the row was.
 */
async function steadyBox(row: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  type Box = { x: number; y: number; width: number; height: number };
  const read: { box: Box | null; previous: Box | null } = { box: null, previous: null };
  await expect
    .poll(
      async () => {
        read.previous = read.box;
        read.box = await row.boundingBox().catch(() => null);
        return read.box !== null && read.previous !== null && read.box.y === read.previous.y && read.box.x === read.previous.x;
      },
      { intervals: [300] },
    )
    .toBe(true);
  return read.box!;
}

async function shownIds(page: Page): Promise<string[]> {
  const shown = await rows(page).evaluateAll((els) => els.map((el) => ({ index: Number(el.getAttribute("data-index")), id: el.getAttribute("data-flow-id") ?? "" })));
  return shown.sort((a, b) => a.index - b.index).map((r) => r.id);
}

test("paused, the table pages through every flow of the window, newest first, none twice", async ({ page }) => {
  await page.goto("/?namespace=shop-frontend");
  await expect(rows(page).first()).toBeVisible();
  await page.getByRole("button", { name: "Pause" }).click();
  const bar = page.getByTestId("paused-bar");
  await expect(bar).toContainText(/Paused at .*: the table holds the [\d,]+ flows received/);

  // Page 1: the newest 1,000 flows up to the pause, from the relay, with the view's filters.
  const firstRequest = page.waitForRequest((r) => r.url().includes("/api/flows/history") && r.url().includes("last="));
  await bar.getByRole("button", { name: "Browse every flow of the window" }).click();
  const firstUrl = new URL((await firstRequest).url());
  expect(firstUrl.searchParams.getAll("namespace")).toEqual(["shop-frontend"]);
  expect(firstUrl.searchParams.get("last")).toBe("1000");
  await expect(bar).toContainText(/page 1: flows 1–1,000/);
  await expect(page.getByRole("grid")).toHaveAttribute("aria-rowcount", "1001");
  // A page is not "new flows": no pill over it.
  await expect(page.getByRole("button", { name: /^[\d,]+ new flows?$/ })).toHaveCount(0);
  // The window is closed at the pause, so the same request answers the same flows.
  const page1 = await historyIds(page, firstUrl.toString());
  expect(page1.length).toBe(1000);
  const shown1 = await shownIds(page);
  expect(shown1.length).toBeGreaterThan(5);
  for (const id of shown1) expect(page1).toContain(id);
  // Newest first, from the top. (A flow can reach the relay a moment after its own timestamp, so
  // the test's later read may hold a few newer flows above the page's first row.)
  const places = shown1.map((id) => page1.indexOf(id));
  expect(places[0]).toBeLessThan(300);
  expect([...places].sort((a, b) => a - b)).toEqual(places);

  // Page 2: older flows, none of page 1's.
  const secondRequest = page.waitForRequest((r) => r.url().includes("/api/flows/history") && r.url() !== firstUrl.toString());
  await bar.getByRole("button", { name: "Older →" }).click();
  const secondUrl = new URL((await secondRequest).url());
  await expect(bar).toContainText(/page 2: flows 1,001–/);
  const page2 = await historyIds(page, secondUrl.toString());
  const shown2 = await shownIds(page);
  expect(shown2.length).toBeGreaterThan(5);
  for (const id of shown2) {
    expect(page1).not.toContain(id);
    expect(page2).toContain(id);
  }
  expect(secondUrl.searchParams.get("until")! <= firstUrl.searchParams.get("until")!).toBe(true);

  // A row of the page opens its details at once (the flow is in the page), then back to page 1.
  await rows(page).nth(2).click();
  await expect(page.getByRole("button", { name: "Copy raw JSON line" })).toBeVisible();
  await page.keyboard.press("Escape");
  await bar.getByRole("button", { name: "← Newer" }).click();
  await expect(bar).toContainText(/page 1: flows 1–1,000/);
  await expect.poll(async () => (await shownIds(page)).every((id) => page1.includes(id))).toBe(true);

  // Back to the frozen live table, then live again.
  await bar.getByRole("button", { name: "Back to the received flows" }).click();
  await expect(bar).toContainText(/the table holds the/);
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(bar).toHaveCount(0);
});

// A person's click takes a while between press and release: new flows arrive in between. When
// they push the pressed row out of the rendered rows, Chromium sends no click at all (the element
// pressed left the document); the press and the release still open the row pressed.
test("a row pressed while new flows push it out of the rendered rows opens on release", async ({ page }) => {
  await page.goto("/");
  const target = page.locator('[role="grid"] [role="row"][data-index="2"]');
  await expect(target).toBeVisible();
  const box = await steadyBox(target);
  // The flow under the pointer at the moment of the press (rows move while the table follows).
  await page.evaluate(() => {
    const w = window as unknown as { pressedFlow?: string };
    document.addEventListener("pointerdown", (e) => (w.pressedFlow = (e.target as Element).closest("[data-flow-id]")?.getAttribute("data-flow-id") ?? ""), {
      capture: true,
      once: true,
    });
  });
  await page.mouse.move(box.x + 40, box.y + box.height / 2);
  await page.mouse.down();
  const id = await page.evaluate(() => (window as unknown as { pressedFlow?: string }).pressedFlow ?? "");
  expect(id, "the press landed on a row").not.toBe("");
  // Held until the pressed row's element is gone (200 flows/s push it past the rendered range).
  await expect(page.locator(`[data-flow-id="${id}"]`)).toHaveCount(0, { timeout: 15_000 });
  await page.mouse.up();
  await expect(page.getByRole("dialog")).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`flow=${id}`));
});

test("a clicked row holds the table still: it stays in place, new flows are counted above, its details open", async ({ page }) => {
  await page.goto("/");
  const target = page.locator('[role="grid"] [role="row"][data-index="5"]');
  const box = await steadyBox(target);
  // A click at the row's place, whichever flow is there at that moment (rows move while following).
  await page.mouse.click(box.x + 40, box.y + box.height / 2);
  await expect(page.getByRole("button", { name: "Copy raw JSON line" })).toBeVisible();
  await expect(page).toHaveURL(/flow=/);
  const id = new URL(page.url()).searchParams.get("flow")!;
  // Flows keep arriving (200/s): counted, not pushed in; the clicked row stays where it was clicked.
  await expect(page.getByRole("button", { name: /^[\d,]+ new flows?$/ })).toBeVisible();
  await expect.poll(async () => (await shownIds(page)).indexOf(id)).toBe(5);
  await expect.poll(async () => Math.abs(((await page.locator(`[data-flow-id="${id}"]`).boundingBox())?.y ?? -1000) - box.y)).toBeLessThan(2);
  // Back to the newest flows.
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: /^[\d,]+ new flows?$/ }).click();
  await expect.poll(async () => (await shownIds(page)).indexOf(id), { timeout: 10_000 }).not.toBe(5);
});
