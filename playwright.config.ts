import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./e2e/chromium";

// Browser tests run Debian's Chromium (no browser download works on our machines) against the
// production build with the embedded demo relay on a fixed seed. PLAYWRIGHT_CHROMIUM overrides
// the browser path.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const HOSTILE_PORT = Number(process.env.E2E_HOSTILE_PORT ?? 3101);
// Investigations the browser tests save go to a throwaway database, not the checkout's ./data.
const DATA_DIR = join(tmpdir(), `hubble-lens-e2e-${process.pid}`);
const COMMON_ENV = { HUBBLE_LENS_LOG_LEVEL: "warn", NEXT_TELEMETRY_DISABLED: "1", HUBBLE_LENS_DATA_DIR: DATA_DIR };

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  // Started one after the other: the first builds the app when needed, the second reuses the build.
  webServer: [
    {
      command: "node scripts/start.mjs",
      url: `http://127.0.0.1:${PORT}/api/status`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...COMMON_ENV, PORT: String(PORT), HUBBLE_LENS_DEMO_SCENARIO: "shop", HUBBLE_LENS_DEMO_SEED: "7", HUBBLE_LENS_DEMO_RATE: "200" },
    },
    {
      command: "node scripts/start.mjs",
      url: `http://127.0.0.1:${HOSTILE_PORT}/api/status`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      // No flow history: it would share the first server's flows.sqlite (same data dir) and mix two clusters.
      env: { ...COMMON_ENV, PORT: String(HOSTILE_PORT), HUBBLE_LENS_DEMO_REPLAY: "e2e/fixtures/capture-and-hostile.jsonl", HUBBLE_LENS_HISTORY: "off" },
    },
  ],
});
