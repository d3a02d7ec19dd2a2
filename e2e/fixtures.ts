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
        // The resource's address tells a test's expected failure (its own 404) from any other.
        if (msg.type() === "error") errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
      });
      await use(errors);
      expect(errors, "the page raised errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
