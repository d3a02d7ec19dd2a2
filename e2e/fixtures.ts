import { test as base, expect } from "@playwright/test";

/**
 * Every test fails on a page error (an uncaught exception in the page) or a console error:
 * a journey that "works" while the page throws is not working.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
      });
      await use(errors);
      expect(errors, "the page raised errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
