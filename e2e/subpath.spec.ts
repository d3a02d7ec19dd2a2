import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

// Sub-path hosting (HUBBLE_LENS_BASE_PATH): Hubble Lens built and served under /hubble-lens, behind
// a real nginx (Debian's) that routes only that prefix to it, as an ingress on a host shared with
// other tools would. nginx keeps its defaults for proxied responses: buffered, over HTTP/1.0 to the
// app (so not chunked): the SSE stream gets through at once only because the server asks for it
// (X-Accel-Buffering: no) — with the header ignored (proxy_ignore_headers), its first event does not
// arrive for as long as the test waits.
//
// The app under a prefix is a build of its own (Next.js fixes the base path at build time):
// scripts/start.mjs makes it in .next-base-path the first time, which takes a few minutes.

const APP_PORT = Number(process.env.E2E_SUBPATH_PORT ?? 3109);
const NGINX_PORT = Number(process.env.E2E_NGINX_PORT ?? 3110);
const NGINX = process.env.E2E_NGINX ?? "/usr/sbin/nginx";
const PREFIX = "/hubble-lens";
const APP = `http://127.0.0.1:${APP_PORT}`;
const PROXY = `http://127.0.0.1:${NGINX_PORT}`;

const rows = (page: Page) => page.locator('[role="grid"] [role="row"][data-index]');

let app: ChildProcess | undefined;
let nginx: ChildProcess | undefined;
let dir = "";
let appLog = "";

function nginxConfig(dir: string): string {
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${process.getuid?.() === 0 ? "user root;" : ""}
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream hubble_lens {
    server 127.0.0.1:${APP_PORT};
  }
  server {
    listen 127.0.0.1:${NGINX_PORT};
    # The prefix goes to Hubble Lens, unchanged (proxy_pass without a URI): the app expects it.
    location = ${PREFIX} { proxy_pass http://hubble_lens; include ${dir}/proxy.conf; }
    location ${PREFIX}/ { proxy_pass http://hubble_lens; include ${dir}/proxy.conf; }
    # The rest of this host belongs to something else.
    location / { return 404 "not Hubble Lens\\n"; }
  }
}
`;
}

const PROXY_CONF = `
proxy_set_header Host $http_host;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto $scheme;
# /api/flows is a long-lived Server-Sent Events stream with a heartbeat every 15 s.
proxy_read_timeout 1h;
# A shared investigation is up to 160 MB of flows (nginx refuses more than 1 MB by default), which
# the server reads flow by flow as it arrives: pass it on as it comes.
client_max_body_size 160m;
proxy_request_buffering off;
`;

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${appLog.slice(-4000)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s:\n${appLog.slice(-4000)}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  // The first run builds the prefixed app.
  test.setTimeout(900_000);
  expect(existsSync(NGINX), `nginx is needed at ${NGINX} (Debian package nginx; .ci/run installs it)`).toBe(true);
  dir = mkdtempSync(join(tmpdir(), "hubble-lens-subpath-"));
  app = spawn(process.execPath, ["scripts/start.mjs"], {
    env: {
      ...process.env,
      PORT: String(APP_PORT),
      HUBBLE_LENS_BASE_PATH: PREFIX,
      HUBBLE_LENS_DATA_DIR: join(dir, "data"),
      HUBBLE_LENS_LOG_LEVEL: "warn",
      HUBBLE_LENS_DEMO_SCENARIO: "shop",
      HUBBLE_LENS_DEMO_SEED: "7",
      HUBBLE_LENS_DEMO_RATE: "200",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [app.stdout!, app.stderr!]) stream.on("data", (d: Buffer) => (appLog = (appLog + d.toString()).slice(-20_000)));
  await waitFor(`${APP}${PREFIX}/api/status`, app, "the Hubble Lens server", 850_000);

  for (const sub of ["client-body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "proxy.conf"), PROXY_CONF);
  writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir));
  nginx = spawn(NGINX, ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [nginx.stdout!, nginx.stderr!]) stream.on("data", (d: Buffer) => (appLog = (appLog + `nginx: ${d}`).slice(-20_000)));
  await waitFor(`${PROXY}${PREFIX}/healthz`, nginx, "nginx", 30_000);
});

test.afterAll(async () => {
  await stop(nginx);
  await stop(app);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("everything lives under the prefix; the root is not the app's", async () => {
  // Straight to the app: nothing outside the prefix, not even the probes.
  for (const path of ["/", "/api/status", "/api/flows?follow=false", "/healthz", "/readyz", "/metrics", "/investigations/AAAAAAAAAAAAAAAAAAAAAA"]) {
    const r = await fetch(`${APP}${path}`);
    expect(r.status, `${path} outside ${PREFIX}`).toBe(404);
    await r.body?.cancel();
  }
  // Through nginx: the prefix is the app, the rest of the host is not.
  const root = await fetch(`${PROXY}/`);
  expect(root.status).toBe(404);
  expect(await root.text()).toBe("not Hubble Lens\n");
  for (const path of ["/healthz", "/readyz", "/metrics", "/api/status", "/api/namespaces"]) {
    await expect.poll(async () => (await fetch(`${PROXY}${PREFIX}${path}`)).status, { message: `${PREFIX}${path}` }).toBe(200);
  }
  const page = await fetch(`${PROXY}${PREFIX}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  // Next's scripts and styles come from under the prefix too.
  expect(html).toContain(`${PREFIX}/_next/static/`);
  expect(html).not.toMatch(/(src|href)="\/_next\//);
  expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
  // An unknown API path under the prefix gets the API's own 404 form.
  const unknown = await fetch(`${PROXY}${PREFIX}/api/nope`);
  expect(unknown.status).toBe(404);
  expect((await unknown.json()).error.code).toBe("not-found");
});

test("the flow stream comes through nginx unbuffered", async () => {
  // A view no flow matches: only the stream's own small events, which nginx would hold back in its
  // buffers (headers included) if the server did not ask it not to.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error("no event within 3 s: the stream is buffered on the way")), 3_000);
  try {
    const res = await fetch(`${PROXY}${PREFIX}/api/flows?namespace=no-such-namespace`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const first = await res.body!.getReader().read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^event: ready\n/);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
});

test("the dashboard through nginx: live flows, a flow's details, Share and an investigation link", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  const status = page.waitForResponse((r) => r.url().startsWith(`${PROXY}${PREFIX}/api/status`) && r.status() === 200);
  await page.goto(`${PROXY}${PREFIX}`);
  await status;
  await expect(rows(page).first()).toBeVisible();
  await expect(page.getByRole("group", { name: /^Service map:/ })).toBeVisible();
  // Live through the proxy: new flows keep arriving.
  const firstRow = await rows(page).first().textContent();
  await expect.poll(async () => rows(page).first().textContent(), { timeout: 20_000 }).not.toBe(firstRow);

  // Every request the page made stayed under the prefix: documents, scripts, styles, API, SSE.
  const own = requests.filter((u) => u.startsWith(PROXY));
  expect(own.length).toBeGreaterThan(3);
  for (const u of own) expect(new URL(u).pathname, u).toMatch(new RegExp(`^${PREFIX}(/|$)`));
  expect(
    own.some((u) => new URL(u).pathname === `${PREFIX}/api/flows`),
    "the SSE stream",
  ).toBe(true);
  expect(
    own.some((u) => new URL(u).pathname.startsWith(`${PREFIX}/_next/static/`)),
    "Next's assets",
  ).toBe(true);

  // A flow's details: the URL keeps the prefix.
  await rows(page).first().click();
  const drawer = page.getByRole("dialog");
  await expect(drawer).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`^${PROXY}${PREFIX}\\?.*flow=`));
  const flowId = new URL(page.url()).searchParams.get("flow")!;

  // Share: the copied link opens the same flow through the proxy in a fresh browser.
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(page.getByText(/copied/)).toBeVisible();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link.startsWith(`${PROXY}${PREFIX}?`), link).toBe(true);
  expect(link).toContain(`flow=${flowId}`);
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const other = await fresh.newPage();
    await other.goto(link);
    await expect(other.getByRole("dialog")).toBeVisible();
    await expect(other.getByRole("dialog").getByText(flowId).first()).toBeVisible();
  } finally {
    await fresh.close();
  }

  // Share investigation: a POST through the proxy; the server hands out a link under the prefix.
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Share investigation" }).click();
  const dialog = page.getByTestId("share-investigation-dialog");
  await dialog.getByRole("button", { name: "Save and get link" }).click();
  // Saved (the link), or what went wrong, in the dialog's own words.
  await expect(dialog.getByTestId("investigation-link").or(dialog.getByRole("alert"))).toBeVisible({ timeout: 60_000 });
  await expect(dialog.getByRole("alert")).toHaveCount(0);
  const investigation = await dialog.getByTestId("investigation-link").inputValue();
  expect(investigation).toMatch(new RegExp(`^${PROXY}${PREFIX}/investigations/[A-Za-z0-9_-]{22}$`));
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.goto(investigation);
  await expect(page.getByTestId("investigation-banner")).toBeVisible();
  await expect(rows(page).first()).toBeVisible();
  // Its way back to the live dashboard stays under the prefix.
  await expect(page.getByRole("link", { name: "Back to live flows" })).toHaveAttribute("href", PREFIX);
  const listed = await (await fetch(`${PROXY}${PREFIX}/api/investigations`)).json();
  expect(listed.investigations.map((i: { url: string }) => i.url)).toContain(new URL(investigation).pathname);
});

test("nginx saw only prefixed requests reach the app", async () => {
  const log = readFileSync(join(dir, "access.log"), "utf8").trim().split("\n");
  expect(log.length).toBeGreaterThan(10);
  const paths = log.map((l) => /"[A-Z]+ (\S+) HTTP/.exec(l)?.[1] ?? "");
  // The only request outside the prefix is the test's own request for the root (answered by nginx).
  expect(paths.filter((p) => !p.startsWith(PREFIX))).toEqual(["/"]);
});
