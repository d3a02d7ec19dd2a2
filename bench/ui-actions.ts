// bench:ui's user-action drivers: row clicks (→ the flow's details) and opening the Drops view, each timed in the page.
import type { Page } from "@playwright/test";

/**
 * Times, inside the page, from the pointer going down to the first frame whose DOM matches
 * `selector` (Playwright's own round trips are not counted); Infinity when nothing in 10 s.
 */
async function timedClick(page: Page, x: number, y: number, selector: string, text?: RegExp): Promise<number> {
  // A string, not a function: tsx would wrap the inner arrow functions in a helper the page lacks.
  await page.evaluate(`(() => {
    const selector = ${JSON.stringify(selector)};
    const match = ${text ? `new RegExp(${JSON.stringify(text.source)})` : "null"};
    window.__opened = new Promise((resolve) => {
      const give = setTimeout(() => resolve(Infinity), 15000);
      document.addEventListener("pointerdown", () => {
        clearTimeout(give);
        const t0 = performance.now();
        const check = () => {
          const el = document.querySelector(selector);
          if (el && (!match || match.test(el.textContent || ""))) resolve(performance.now() - t0);
          else if (performance.now() - t0 > 10000) resolve(Infinity);
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }, { capture: true, once: true });
    });
  })()`);
  await page.mouse.click(x, y);
  return page.evaluate("window.__opened") as Promise<number>;
}

/**
 * What a person does: click rows (→ the drawer shows the flow's raw JSON) and open the Drops
 * view, timed from the click to the content on screen, as seen from the test driver (which adds a
 * few ms of its own).
 */
export async function interactions(page: Page, log: (msg: string) => void): Promise<{ clickMs: number[]; dropsMs: number[] }> {
  const clickMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    // Where a person clicks: the row on screen at that moment, whichever flow it shows (rows move
    // while the table follows), so a mouse click at the row's place, not a click on one element.
    // Rows are replaced as flows arrive: a box read while its element is swapped comes back null,
    // which is the driver's race, not something a person sees; read again.
    let box: { x: number; y: number; width: number; height: number } | null = null;
    for (let attempt = 0; attempt < 20 && !box; attempt++) {
      box = await page
        .locator(`[role="grid"] [role="row"][data-index="${3 + (i % 6)}"]`)
        .boundingBox({ timeout: 10_000 })
        .catch(() => null);
    }
    if (!box) {
      clickMs.push(Infinity); // no row where one should be
      continue;
    }
    const ms = await timedClick(page, box.x + 40, box.y + box.height / 2, '[aria-label="Copy raw JSON line"]');
    clickMs.push(ms);
    if (ms === Infinity)
      log(
        `row click ${i}: no details within 10 s (${page.url()}); drawer says: ${(
          await page
            .locator("aside")
            .first()
            .textContent()
            .catch(() => "")
        )?.slice(0, 200)}`,
      );
    await page.keyboard.press("Escape");
    // Back to following the newest flows, as a person reading the live table would.
    await page
      .getByRole("button", { name: /^[\d,]+ new flows?$/ })
      .click({ timeout: 2000 })
      .catch(() => undefined);
  }
  const dropsMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const button = page.getByRole("button", { name: /^Open the Drops view/ });
    const box = await button.boundingBox({ timeout: 10_000 }).catch(() => null);
    if (!box) {
      dropsMs.push(Infinity);
      continue;
    }
    dropsMs.push(await timedClick(page, box.x + box.width / 2, box.y + box.height / 2, '[data-testid="drops-view"]', /dropped or audited/));
    await page.keyboard.press("Escape");
  }
  return { clickMs, dropsMs };
}
