// How the browser tests and bench:ui launch Debian's Chromium (no browser download works on our
// machines). PLAYWRIGHT_CHROMIUM overrides the path. The background-networking flags keep
// Chromium from dialling out on a closed network.
export const CHROMIUM_PATH = process.env.PLAYWRIGHT_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
