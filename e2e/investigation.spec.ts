import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { ServerProcess } from "./server-process";

// A shared investigation outlives the server that made it: open a default-deny drop in the demo,
// share it, restart the server (and with it the embedded demo relay, whose buffers start empty),
// and open the link in a fresh browser context. This spec runs its own server on its own port and
// data directory, so it can stop and start it.

const PORT = Number(process.env.E2E_INVESTIGATION_PORT ?? 3102);
let dataDir: string;
let server: ServerProcess;
const BASE = `http://127.0.0.1:${PORT}`;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-e2e-"));
  server = new ServerProcess(PORT, { HUBBLE_LENS_DATA_DIR: dataDir, HUBBLE_LENS_DEMO_SCENARIO: "shop", HUBBLE_LENS_DEMO_SEED: "7", HUBBLE_LENS_DEMO_RATE: "200" });
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

/**
 * Restarts the server (the demo relay starts over with empty buffers) and opens `link` in a fresh
 * browser context, collecting the page's errors. The first page leaves first, so its live stream
 * does not log the server going away as an error.
 */
async function restartAndOpen(page: Page, browser: Browser, link: string): Promise<{ colleague: BrowserContext; other: Page; errors: string[] }> {
  await page.goto("about:blank");
  await server.stop();
  await server.start();
  const colleague = await browser.newContext();
  const other = await colleague.newPage();
  const errors: string[] = [];
  other.on("pageerror", (e) => errors.push(e.message));
  await other.goto(link);
  return { colleague, other, errors };
}

test("a shared default-deny investigation opens the same drop and explanation after a restart", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // payments pods calling out to an SDK endpoint: dropped by default deny at egress (shop scenario).
  await page.goto(`${BASE}/?verdict=DROPPED&filter=${encodeURIComponent("drop-reason=POLICY_DENIED")}`);
  await expect(rows(page).first()).toBeVisible({ timeout: 30_000 });
  await rows(page).first().click();
  await expect(page).toHaveURL(/flow=/);
  const flowId = new URL(page.url()).searchParams.get("flow")!;

  const panel = page.getByTestId("policy-panel");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("policy-isolating")).toBeVisible();
  const reason = (await panel.getByTestId("policy-reason").textContent())!.trim();
  const isolating = (await panel.getByTestId("policy-isolating").textContent())!.trim();
  expect(reason.length).toBeGreaterThan(10);
  expect(isolating).toMatch(/NetworkPolicy|CiliumNetworkPolicy|CiliumClusterwideNetworkPolicy/);

  await page.getByRole("button", { name: "Share investigation" }).click();
  const dialog = page.getByTestId("share-investigation-dialog");
  await dialog.getByLabel("Note").fill("Why is this dropped? <script>window.__pwned=1</script>");
  await dialog.getByRole("button", { name: "Save and get link" }).click();
  const link = await dialog.getByTestId("investigation-link").inputValue();
  expect(link).toMatch(new RegExp(`^${BASE}/investigations/[A-Za-z0-9_-]{22}$`));

  // Restart: only the store remembers.
  const { colleague, other, errors } = await restartAndOpen(page, browser, link);
  try {
    await expect(other.getByTestId("investigation-banner")).toBeVisible();
    await expect(other.getByTestId("investigation-banner")).toContainText("<script>window.__pwned=1</script>");
    expect(await other.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect(other).toHaveURL(new RegExp(`flow=${flowId}`));
    const otherPanel = other.getByTestId("policy-panel");
    await expect(otherPanel).toBeVisible();
    await expect(otherPanel.getByTestId("policy-reason")).toHaveText(reason);
    await expect(otherPanel.getByTestId("policy-isolating")).toHaveText(isolating);
    await expect(rows(other).first()).toBeVisible();
    for (const v of await rows(other).evaluateAll((els) => els.map((el) => el.getAttribute("data-verdict")))) expect(v).toBe("dropped");

    // The policies have not changed, so "compare with now" says it is still dropped.
    await other.getByRole("button", { name: "Compare with now" }).click();
    await expect(other.getByTestId("compare-verdict")).toHaveText("Still dropped under today's policies.");
    expect(errors).toEqual([]);
  } finally {
    await colleague.close();
  }
});

test("with flow history on, an investigation points at the stored flows and reopens showing the same flows", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // A window inside what history holds: the last 5 s, once history reaches back past them.
  await expect
    .poll(async () => {
      const status = (await (await page.request.get(`${BASE}/api/status`)).json()) as { history?: { reachesBack?: string } };
      return status.history?.reachesBack ? Date.now() - 15_000 - Date.parse(status.history.reachesBack) : -1;
    })
    .toBeGreaterThan(0);
  const since = new Date(Date.now() - 5_000).toISOString();
  await page.goto(`${BASE}/?since=${encodeURIComponent(since)}`);
  await expect(rows(page).first()).toBeVisible({ timeout: 30_000 });

  await page.getByRole("button", { name: "Share investigation" }).click();
  const dialog = page.getByTestId("share-investigation-dialog");
  await dialog.getByRole("button", { name: "Save and get link" }).click();
  const link = await dialog.getByTestId("investigation-link").inputValue({ timeout: 30_000 });
  const savedAs = (await dialog.getByTestId("investigation-saved-as").textContent())!;
  const count = Number(/points at the ([\d,]+) flows/.exec(savedAs)?.[1]?.replace(/,/g, ""));
  expect(count, savedAs).toBeGreaterThan(100);

  // The saved window, and every flow of it the server's window query finds (from the flow history).
  const id = link.split("/").pop()!;
  const saved = (await (await page.request.get(`${BASE}/api/investigations/${id}`)).json()) as { flowSource: string; view: string };
  expect(saved.flowSource).toBe("reference");
  const view = new URLSearchParams(saved.view);
  const windowQuery = new URLSearchParams({ since: view.get("since")!, until: view.get("until")!, first: "100000" });
  const stored = (await (await page.request.get(`${BASE}/api/flows/history?${windowQuery}`)).text())
    .split("\n")
    .filter((l) => l.includes('"flow"'))
    .map((l) => (JSON.parse(l) as { flow: { uuid: string } }).flow.uuid);
  expect(stored.length).toBe(count);

  // Restart: the flow history keeps the window.
  const { colleague, other, errors } = await restartAndOpen(page, browser, link);
  try {
    // Read from the flow history once, after the page opened: give a busy machine time.
    await expect(rows(other).first()).toBeVisible({ timeout: 45_000 });
    // The page counted the lines it received: as many as saved.
    await expect(other.getByTestId("investigation-reference")).toContainText(`Flows read from the flow history: ${count.toLocaleString("en-US")} flows`);
    await expect(other.getByTestId("investigation-reference")).not.toContainText("reading them");
    await expect(other.getByTestId("investigation-retention")).toHaveCount(0);
    // Every one of the window's flows is in the table (one header row besides), and only those.
    await expect(other.getByRole("grid")).toHaveAttribute("aria-rowcount", String(count + 1));
    const shown = await rows(other).evaluateAll((els) => els.map((el) => el.getAttribute("data-flow-id")));
    const expected = new Set(stored);
    for (const flowId of shown) expect(expected.has(flowId!), `${flowId} is a flow of the window`).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await colleague.close();
  }
});

test("an unknown investigation link says so", async ({ page, pageErrors }) => {
  const res = await page.goto(`${BASE}/investigations/AAAAAAAAAAAAAAAAAAAAAA`);
  expect(res?.status()).toBe(404);
  await expect(page.getByText(/^No investigation has this link/)).toBeVisible();
  // The browser logs the 404 of the page itself as a console error, not always before the page
  // shows: wait for it, then take out that one (any other error still fails the test).
  const own = (e: string) => /status of 404/.test(e) && e.includes("/investigations/AAAAAAAAAAAAAAAAAAAAAA");
  await expect.poll(() => pageErrors.some(own)).toBe(true);
  pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !own(e)));
});
