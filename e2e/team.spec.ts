import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { ServerProcess } from "./server-process";

// Hubble Lens for a team, in Chromium against real servers: sign-in through a proxy (trusted only
// from loopback) and through a real OpenID provider (oidc-provider, started here), and two people
// with different namespaces who see different maps, flows and investigations. The access file:
// alice sees shop-frontend, the billing-team group sees billing.

const PROXY_PORT = Number(process.env.E2E_TEAM_PORT ?? 3113);
const OIDC_APP_PORT = Number(process.env.E2E_TEAM_OIDC_PORT ?? 3114);
const PROVIDER_PORT = Number(process.env.E2E_OIDC_PROVIDER_PORT ?? 3115);

const ACCESS = `users:
  alice: [shop-frontend]
groups:
  billing-team: [billing]
`;

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hubble-lens-team-e2e-"));
  writeFileSync(join(dir, "access.yaml"), ACCESS);
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEMO = { HUBBLE_LENS_DEMO_SCENARIO: "shop", HUBBLE_LENS_DEMO_SEED: "7", HUBBLE_LENS_DEMO_RATE: "200" };

/** Page errors of a page made outside the fixture (the people's own contexts). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** Every map edge touches one of the person's namespaces (node ids are `wl:<ns>/<name>`, `app:<ns>/<name>`, …). */
async function mapNamespaces(page: Page): Promise<Array<[string, string]>> {
  const ids = await page.locator("[data-edge-id]").evaluateAll((els) => els.map((e) => e.getAttribute("data-edge-id") ?? ""));
  const ns = (node: string) => /^(?:wl|app):([^/]+)\//.exec(node)?.[1] ?? "";
  return ids.map((id) => {
    const [a = "", b = ""] = id.split("|");
    return [ns(a), ns(b)];
  });
}

test.describe("proxy sign-in and namespace access", () => {
  let server: ServerProcess;
  let browserRef: Browser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  const base = `http://127.0.0.1:${PROXY_PORT}`;

  test.beforeAll(async ({ browser }) => {
    browserRef = browser;
    // Listening on every interface: the same port is then reachable from an address that is not a trusted proxy.
    server = new ServerProcess(PROXY_PORT, {
      ...DEMO,
      HUBBLE_LENS_AUTH: "proxy",
      HUBBLE_LENS_HOST: "0.0.0.0",
      HUBBLE_LENS_ACCESS_FILE: join(dir, "access.yaml"),
      HUBBLE_LENS_DATA_DIR: join(dir, "proxy-data"),
    });
    await server.start();
    // The browser connects from 127.0.0.1, the trusted proxy address; the headers are what oauth2-proxy would send.
    alice = await browserRef.newContext({ baseURL: base, extraHTTPHeaders: { "X-Forwarded-User": "alice", "X-Forwarded-Email": "alice@example.com" } });
    bob = await browserRef.newContext({ baseURL: base, extraHTTPHeaders: { "X-Forwarded-User": "bob", "X-Forwarded-Groups": "billing-team,staff" } });
  });
  test.afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.stop();
  });

  test("two people with different namespaces see different maps, flows, pickers and investigations", async () => {
    test.setTimeout(120_000);
    const a = await alice.newPage();
    const b = await bob.newPage();
    const errors = [...[a, b].map(watchErrors)];
    await Promise.all([a.goto("/"), b.goto("/")]);
    await expect(a.getByTestId("signed-in-user")).toHaveText("alice");
    await expect(b.getByTestId("signed-in-user")).toHaveText("bob");

    // The map: every edge touches the person's namespace, and there are edges.
    for (const [page, ns] of [
      [a, "shop-frontend"],
      [b, "billing"],
    ] as const) {
      await expect.poll(() => page.locator("[data-edge-id]").count(), { timeout: 30_000 }).toBeGreaterThan(0);
      const edges = await mapNamespaces(page);
      expect(edges.length).toBeGreaterThan(0);
      for (const [src, dst] of edges) expect(src === ns || dst === ns, `${ns}'s map has ${src} → ${dst}`).toBe(true);
    }

    // The flow table: every row has the person's namespace at one end.
    for (const [page, ns] of [
      [a, "shop-frontend/"],
      [b, "billing/"],
    ] as const) {
      const rows = page.locator('[role="grid"] [role="row"][data-index]');
      await expect(rows.first()).toBeVisible();
      const texts = await rows.evaluateAll((els) => els.map((e) => e.textContent ?? ""));
      for (const t of texts) expect(t, `a row in ${ns}'s table`).toContain(ns);
    }

    // The namespace picker offers only their namespaces.
    await a.getByRole("button", { name: /^Namespaces:/ }).click();
    await expect(a.getByRole("option", { name: /shop-frontend/ })).toBeVisible();
    await expect(a.getByRole("option", { name: /billing|payments|shop-backend/ })).toHaveCount(0);
    await a.keyboard.press("Escape");

    // Flows: what the API gives each of them, and a direct call for the other's namespace refused.
    const flowsOf = async (ctx: BrowserContext) => {
      const res = await ctx.request.get("/api/flows/history?limit=500");
      expect(res.status()).toBe(200);
      return (await res.text())
        .split("\n")
        .filter((l) => l.includes('"flow"'))
        .map((l) => JSON.parse(l).flow as { source?: { namespace?: string }; destination?: { namespace?: string } });
    };
    const aliceFlows = await flowsOf(alice);
    expect(aliceFlows.length).toBeGreaterThan(0);
    for (const f of aliceFlows) expect([f.source?.namespace, f.destination?.namespace]).toContain("shop-frontend");
    for (const f of await flowsOf(bob)) expect([f.source?.namespace, f.destination?.namespace]).toContain("billing");
    const refused = await alice.request.get("/api/flows/history?namespace=billing");
    expect(refused.status()).toBe(403);
    expect((await refused.json()).error.code).toBe("forbidden-namespace");
    expect((await alice.request.get("/api/flows?namespace=billing")).status()).toBe(403);
    const namespaces = (await (await bob.request.get("/api/namespaces")).json()).namespaces.map((n: { namespace: string }) => n.namespace);
    expect(namespaces).toEqual(["billing"]);

    // Investigations: alice saves one of her flows; bob neither lists nor opens it.
    const saved = await alice.request.post("/api/investigations", {
      data: { title: "frontend drops", view: "", flows: aliceFlows.slice(0, 20) },
    });
    expect(saved.status()).toBe(201);
    const { id } = (await saved.json()) as { id: string };
    const listOf = async (ctx: BrowserContext) => ((await (await ctx.request.get("/api/investigations")).json()).investigations as Array<{ id: string }>).map((i) => i.id);
    expect(await listOf(alice)).toContain(id);
    expect(await listOf(bob)).not.toContain(id);
    expect((await bob.request.get(`/api/investigations/${id}`)).status()).toBe(404);
    expect((await bob.request.get(`/api/investigations/${id}/flows`)).status()).toBe(404);
    expect((await bob.request.delete(`/api/investigations/${id}`)).status()).toBe(404);
    const bobsView = await bob.newPage();
    await bobsView.goto(`/investigations/${id}`);
    await expect(bobsView.getByText("This investigation cannot be shown")).toBeVisible();
    await expect(bobsView.getByTestId("investigation-banner")).toHaveCount(0);

    // Alice opens it and, as its owner, deletes it.
    await a.goto(`/investigations/${id}`);
    await expect(a.getByTestId("investigation-title")).toHaveText("frontend drops");
    await a.getByTestId("investigation-delete").click();
    await a.getByTestId("investigation-delete").click();
    await expect(a.getByTestId("investigation-deleted")).toBeVisible();
    expect((await alice.request.get(`/api/investigations/${id}`)).status()).toBe(404);
    expect(errors.flat()).toEqual([]);
  });

  test("the sign-in headers are believed only from a trusted proxy address", async () => {
    // The machine's own non-loopback address: a client there is not the sidecar proxy.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    test.skip(external === undefined, "this machine has no non-loopback IPv4 address to connect from");
    const headers = { "X-Forwarded-User": "alice", "X-Forwarded-Groups": "billing-team" };
    const untrusted = await fetch(`http://${external}:${PROXY_PORT}/api/session`, { headers });
    expect(untrusted.status).toBe(401);
    expect(((await untrusted.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
    const page = await fetch(`http://${external}:${PROXY_PORT}/`, { headers });
    expect(page.status).toBe(401);
    // The probes stay open for the kubelet, from anywhere.
    expect((await fetch(`http://${external}:${PROXY_PORT}/healthz`)).status).toBe(200);
    expect((await fetch(`http://${external}:${PROXY_PORT}/metrics`)).status).toBe(200);
    // A client that writes the peer header itself does not become loopback.
    const forged = await fetch(`http://${external}:${PROXY_PORT}/api/session`, { headers: { ...headers, "X-Hubble-Lens-Peer": "x 127.0.0.1", "X-Forwarded-For": "127.0.0.1" } });
    expect(forged.status).toBe(401);
    // From loopback (the trusted proxy) the same headers sign in.
    const trusted = await fetch(`http://127.0.0.1:${PROXY_PORT}/api/session`, { headers });
    expect(trusted.status).toBe(200);
    expect(await trusted.json()).toMatchObject({ user: "alice", auth: "proxy", namespaces: ["billing", "shop-frontend"] });
    const metrics = await (await fetch(`http://127.0.0.1:${PROXY_PORT}/metrics`)).text();
    expect(Number(/^hubble_lens_auth_failures_total (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(2);
  });
});

test.describe("OpenID Connect sign-in", () => {
  let provider: { close(): Promise<void> };
  let server: ServerProcess;
  const issuer = `http://127.0.0.1:${PROVIDER_PORT}`;
  const app = `http://127.0.0.1:${OIDC_APP_PORT}`;

  test.beforeAll(async () => {
    provider = await startProvider(issuer, PROVIDER_PORT, app);
    server = new ServerProcess(OIDC_APP_PORT, {
      ...DEMO,
      HUBBLE_LENS_AUTH: "oidc",
      HUBBLE_LENS_OIDC_ISSUER: issuer,
      HUBBLE_LENS_OIDC_CLIENT_ID: "hubble-lens",
      HUBBLE_LENS_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      HUBBLE_LENS_OIDC_SCOPES: "openid profile email groups",
      HUBBLE_LENS_PUBLIC_URL: app,
      HUBBLE_LENS_SESSION_SECRET: "e2e-session-secret-0123456789abcdef",
      HUBBLE_LENS_ACCESS_FILE: join(dir, "access.yaml"),
      HUBBLE_LENS_DATA_DIR: join(dir, "oidc-data"),
    });
    await server.start();
  });
  test.afterAll(async () => {
    await server?.stop();
    await provider?.close();
  });

  test("signs in with the authorization code flow, shows only the user's namespaces, and signs out", async ({ browser }) => {
    test.setTimeout(90_000);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    // Not signed in: the API refuses, the page goes to the provider.
    expect((await context.request.get(`${app}/api/namespaces`)).status()).toBe(401);
    await page.goto(`${app}/?namespace=billing`);
    await expect(page).toHaveURL(new RegExp(`^${issuer}/`));
    await page.locator('input[name="login"]').fill("bob");
    await page.locator('input[name="password"]').fill("any");
    await page.locator('button[type="submit"]').click();
    // The provider asks for consent the first time.
    await page.getByRole("button", { name: /continue|authorize|yes/i }).click();
    await expect(page).toHaveURL(`${app}/?namespace=billing`);
    await expect(page.getByTestId("signed-in-user")).toHaveText("bob");

    const session = (await context.cookies(app)).find((c) => c.name === "hubble_lens_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    // Groups came from the provider (billing-team): billing only.
    const me = await (await context.request.get(`${app}/api/session`)).json();
    expect(me).toMatchObject({ user: "bob", email: "bob@example.com", auth: "oidc", namespaces: ["billing"] });
    expect(me.groups).toContain("billing-team");
    expect((await context.request.get(`${app}/api/flows/history?namespace=shop-frontend`)).status()).toBe(403);
    await expect.poll(() => page.locator("[data-edge-id]").count(), { timeout: 30_000 }).toBeGreaterThan(0);
    for (const [src, dst] of await mapNamespaces(page)) expect(src === "billing" || dst === "billing").toBe(true);

    // Sign out: the session ends here and at the provider.
    await page.getByTestId("sign-out").click();
    // The provider asks to confirm its own sign-out (RP-initiated logout), then sends the browser back.
    await page.waitForURL((url) => url.href.startsWith(issuer) || url.href === `${app}/auth/signed-out`);
    if (page.url().startsWith(issuer)) await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await expect(page).toHaveURL(`${app}/auth/signed-out`);
    expect((await context.cookies(app)).find((c) => c.name === "hubble_lens_session")).toBeUndefined();
    expect((await context.request.get(`${app}/api/session`)).status()).toBe(401);
    // Back to the dashboard: the provider asks to sign in again (its session ended too).
    await page.goto(`${app}/`);
    await expect(page).toHaveURL(new RegExp(`^${issuer}/`));
    await expect(page.locator('input[name="login"]')).toBeVisible();
    expect(errors).toEqual([]);
    await context.close();
  });
});

const CLIENT_SECRET = "e2e-client-secret-0123456789abcdef";

/** A real OpenID provider: oidc-provider with its development login (any password), on 127.0.0.1. */
async function startProvider(issuer: string, port: number, app: string): Promise<{ close(): Promise<void> }> {
  const { default: Provider } = await import("oidc-provider");
  const groups: Record<string, string[]> = { alice: ["shop-team"], bob: ["billing-team", "staff"] };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "hubble-lens",
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${app}/auth/callback`],
        post_logout_redirect_uris: [`${app}/auth/signed-out`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ["e2e-provider-cookie-key"] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, preferred_username: id, groups: groups[id] ?? [] }),
    }),
  });
  const server = provider.listen(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
