import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";
import { ServerProcess } from "./server-process";

// Policies change while drops keep coming: the Drops view says which drops the change explains,
// and a drop from before the change is explained with the policies in force when it happened.
// The policies come from a directory (HUBBLE_LENS_POLICIES) that the test edits; the traffic is
// the shop demo's Prometheus scraping payments-api on :9102, which default deny drops.

const PORT = Number(process.env.E2E_POLICY_HISTORY_PORT ?? 3103);
let dir: string;
let server: ServerProcess;

const ADDED = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: metrics-scrape
  namespace: payments
spec:
  endpointSelector:
    matchLabels:
      app: payments-api
  ingress:
  - fromEndpoints:
    - matchLabels:
        io.kubernetes.pod.namespace: monitoring
    toPorts:
    - ports:
      - port: "9090"
        protocol: TCP
`;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hubble-lens-policies-"));
  copyFileSync(join(process.cwd(), "server/demo-relay/scenarios/shop.policies.yaml"), join(dir, "shop.yaml"));
  server = new ServerProcess(PORT, {
    HUBBLE_LENS_POLICIES: dir,
    HUBBLE_LENS_DATA_DIR: join(dir, ".data"),
    HUBBLE_LENS_DEMO_SCENARIO: "shop",
    HUBBLE_LENS_DEMO_SEED: "7",
    // A scrape of :9102 is one conversation in about 240 of the shop's: at 200 flows/s one every
    // ~12 s, with gaps past 30 s now and then. At 1,000, one every ~2.5 s.
    HUBBLE_LENS_DEMO_RATE: "1000",
  });
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

async function policyVersion(): Promise<number> {
  const body = (await (await fetch(`${server.base}/api/policies`)).json()) as { version: number };
  return body.version;
}

test("a policy change shows the drops it explains, and older drops keep their own explanation", async ({ page }) => {
  test.setTimeout(120_000);
  const view = `${server.base}/?verdict=DROPPED&filter=${encodeURIComponent("port=9102")}`;
  await page.goto(view);
  await expect(rows(page).first()).toBeVisible({ timeout: 30_000 });
  await rows(page).first().click();
  await expect(page).toHaveURL(/flow=/);
  const before = new URL(page.url()).searchParams.get("flow")!;
  await expect(page.getByTestId("policy-isolating")).toContainText("payments-api-ingress");
  await expect(page.getByTestId("policy-isolating")).not.toContainText("metrics-scrape");

  // Share it before the policies change.
  await page.getByRole("button", { name: "Share investigation" }).click();
  const dialog = page.getByTestId("share-investigation-dialog");
  await dialog.getByRole("button", { name: "Save and get link" }).click();
  const link = await dialog.getByTestId("investigation-link").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();

  const version = await policyVersion();
  writeFileSync(join(dir, "metrics.yaml"), ADDED);
  await expect.poll(policyVersion, { timeout: 20_000 }).toBeGreaterThan(version);

  // New drops arrive and are charged to the new policy too (it isolates payments-api's ingress);
  // the same drops happened before it existed, which says the change did not cause them.
  await page.goto(`${view}&panel=drops`);
  const changes = page.getByTestId("policy-changes");
  await expect(changes).toContainText("added payments/metrics-scrape", { timeout: 20_000 });
  await expect(changes).toContainText(/added payments\/metrics-scrape: [1-9][\d,]* drops since \([1-9][\d,]* before\)/, { timeout: 30_000 });
  // And they were dropped by the version before it too: the change did not cause them.
  await expect(changes.getByTestId("policy-change-caused")).toHaveText(/^caused none of the [1-9][\d,]* drops since: the version before it drops them too$/);

  // The drop from before the change: explained with the version in force then.
  await page.goto(`${view}&flow=${encodeURIComponent(before)}&panel=details`);
  await expect(page.getByTestId("policy-at-flow-time")).toBeVisible();
  await expect(page.getByTestId("policy-isolating")).toContainText("payments-api-ingress");
  await expect(page.getByTestId("policy-isolating")).not.toContainText("metrics-scrape");

  // The investigation shared before the change still shows the explanation of its time, and
  // "compare with now" shows today's: the new policy isolates the endpoint too.
  await page.goto(link);
  await expect(page.getByTestId("investigation-banner")).toBeVisible();
  await expect(page.getByTestId("policy-isolating")).toContainText("payments-api-ingress");
  await expect(page.getByTestId("policy-isolating")).not.toContainText("metrics-scrape");
  await page.getByRole("button", { name: "Compare with now" }).click();
  await expect(page.getByTestId("compare-verdict")).toHaveText("Still dropped under today's policies.");
  await expect(page.getByTestId("compare-result")).toContainText(/Now.*metrics-scrape/);

  // A drop from after it: today's policies, which include the new one.
  await page.goto(view);
  await expect(rows(page).first()).toBeVisible();
  await rows(page).first().click();
  await expect(page.getByTestId("policy-isolating")).toContainText("metrics-scrape");
  await expect(page.getByTestId("policy-at-flow-time")).toHaveCount(0);
});
