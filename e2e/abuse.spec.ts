import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { emptyObjectFlows, flowsOf, probe, rssMb, until, watchFlows } from "./http-probe";
import { ServerProcess } from "./server-process";

// Issue 10 at the HTTP level, against the real server (next start, the built app, the embedded
// demo relay): bodies refused early and cheaply, bad inputs answered with 4xx in the common error
// form, the security headers, the Host allowlist and same-origin POSTs. The relay-flapping test
// is in relay-flap.spec.ts. No browser: these are what any client can send.

const PORT = Number(process.env.E2E_ABUSE_PORT ?? 3104);
const MB = 1024 * 1024;
let server: ServerProcess;
let dataDir: string;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-abuse-"));
  server = new ServerProcess(PORT, { HUBBLE_LENS_DATA_DIR: dataDir, HUBBLE_LENS_DEMO_SCENARIO: "shop", HUBBLE_LENS_DEMO_SEED: "7", HUBBLE_LENS_DEMO_RATE: "200" });
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const json = { "content-type": "application/json" };

function errorOf(body: string): { code: string; message: string } {
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  expect(Object.keys(parsed)).toEqual(["error"]);
  return parsed.error;
}

test("a 140 MB junk investigation is refused within seconds, memory stays bounded and viewers keep their flows", async () => {
  test.setTimeout(120_000);
  const viewer = watchFlows(server.base);
  await until(() => flowsOf(viewer.events).length > 0, "the viewer's first flows");
  const rssBefore = rssMb(server.pid!);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(server.pid!))), 100);
  try {
    const flowsBefore = flowsOf(viewer.events).length;
    const res = await probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: () => emptyObjectFlows(140 * MB) });
    expect(res.status).toBe(413);
    expect(errorOf(res.body).message).toMatch(/at most 50000 flows/);
    // Refused at the 50,001st flow: it never had to read (let alone parse) the 140 MB.
    expect(res.sentBytes).toBeLessThan(40 * MB);
    expect(res.ms).toBeLessThan(10_000);
    // Live flows kept coming to the other viewer meanwhile (the demo relay sends 200/s).
    await until(() => flowsOf(viewer.events).length > flowsBefore, "flows after the junk body");

    // The same junk twice at once, and a body declared too large: all refused, none read whole.
    const [a, b] = await Promise.all([0, 1].map(() => probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: () => emptyObjectFlows(140 * MB) })));
    expect([a.status, b.status].sort()).toEqual([413, 413]);
    const declared = await probe(PORT, {
      method: "POST",
      path: "/api/investigations",
      headers: { ...json, "content-length": String(200 * MB) },
      body: () => emptyObjectFlows(200 * MB),
    });
    expect(declared.status).toBe(413);
    expect(declared.sentBytes).toBeLessThan(20 * MB);
  } finally {
    clearInterval(sampler);
    viewer.stop();
  }
  expect(rssPeak - rssBefore, `RSS ${rssBefore} MB → peak ${rssPeak} MB`).toBeLessThan(300);
});

test("a body with no end is cut off at the route's cap, not buffered", async () => {
  test.setTimeout(60_000);
  function* spaces(): Iterable<Buffer> {
    const chunk = Buffer.alloc(MB, 0x20);
    for (let i = 0; i < 400; i++) yield chunk;
  }
  const explain = await probe(PORT, { method: "POST", path: "/api/explain", headers: json, body: spaces });
  expect(explain.status).toBe(413);
  expect(explain.sentBytes).toBeLessThan(40 * MB);
  const investigation = await probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: spaces });
  expect(investigation.status).toBe(413);
  expect(investigation.sentBytes).toBeLessThan(200 * MB);
});

test("deeply nested JSON is a 400, not a 500", async () => {
  const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  const explain = await probe(PORT, { method: "POST", path: "/api/explain", headers: json, body: `{"flow":${deep}}` });
  expect(explain.status).toBe(400);
  expect(errorOf(explain.body).message).toMatch(/nested more than 64 levels/);
  const investigation = await probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: `{"title":"t","view":"","flows":[${deep}]}` });
  expect(investigation.status).toBe(400);
  expect(errorOf(investigation.body).message).toMatch(/nested more than/);
});

test("bad inputs get a 4xx in the common error form; unknown ids a 404", async () => {
  const cases: Array<{ req: Parameters<typeof probe>[1]; status: number; code?: string; message: RegExp }> = [
    { req: { path: "/api/flows?since=-5m" }, status: 400, message: /since must not be in the future/ },
    { req: { path: "/api/flows/history?since=-5m" }, status: 400, message: /since/ },
    { req: { path: "/api/investigations/nope" }, status: 404, code: "not-found", message: /no such investigation/ },
    { req: { path: "/api/investigations/AAAAAAAAAAAAAAAAAAAAAA" }, status: 404, code: "not-found", message: /no such investigation/ },
    { req: { path: "/api/no-such-thing" }, status: 404, code: "not-found", message: /no API at/ },
    { req: { method: "POST", path: "/api/explain", headers: json, body: '{"flow":{"nope":1}}' }, status: 400, message: /not a Hubble flow/ },
    { req: { method: "POST", path: "/api/explain", headers: json, body: "{" }, status: 400, message: /not valid JSON/ },
    {
      req: { method: "POST", path: "/api/explain", headers: { "content-type": "text/plain" }, body: '{"flow":{}}' },
      status: 415,
      code: "unsupported-media-type",
      message: /application\/json/,
    },
    {
      req: { method: "POST", path: "/api/investigations", headers: json, body: '{"title":"x","view":"","flows":"x"}' },
      status: 400,
      code: "invalid-investigation",
      message: /^flows: flows is required/,
    },
  ];
  for (const c of cases) {
    const res = await probe(PORT, c.req);
    expect(res.status, `${c.req.method ?? "GET"} ${c.req.path}`).toBe(c.status);
    const error = errorOf(res.body);
    if (c.code) expect(error.code).toBe(c.code);
    expect(error.message).toMatch(c.message);
    expect(res.body).not.toMatch(/"\/(tmp|root|home|work|usr)\//);
  }
  // The page too (its text, rendered in the browser, is checked in investigation.spec.ts).
  for (const id of ["not-an-id", "AAAAAAAAAAAAAAAAAAAAAA"]) expect((await probe(PORT, { path: `/investigations/${id}` })).status).toBe(404);
});

test("every response carries the security headers; page scripts need the nonce", async () => {
  for (const path of ["/", "/api/status", "/api/no-such-thing", "/investigations/not-an-id", "/icon.svg"]) {
    const res = await probe(PORT, { path });
    expect(res.headers["x-content-type-options"], path).toBe("nosniff");
    expect(res.headers["referrer-policy"], path).toBe("same-origin");
    expect(res.headers["x-frame-options"], path).toBe("DENY");
    expect(String(res.headers["content-security-policy"]), path).toMatch(/frame-ancestors 'none'/);
  }
  const page = await probe(PORT, { path: "/" });
  const csp = String(page.headers["content-security-policy"]);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  // Every script in the page carries this request's nonce; a second request gets another.
  const scripts = page.body.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  const again = await probe(PORT, { path: "/" });
  expect(String(again.headers["content-security-policy"])).not.toContain(nonce!);
});

test("a foreign Host is refused (DNS rebinding); localhost names and IPs are answered", async () => {
  for (const path of ["/", "/api/status", "/api/flows"]) {
    const res = await probe(PORT, { path, headers: { host: `rebound.attacker.example:${PORT}` } });
    expect(res.status, path).toBe(403);
    expect(errorOf(res.body).code).toBe("host-not-allowed");
  }
  for (const host of [`localhost:${PORT}`, `127.0.0.1:${PORT}`]) {
    expect((await probe(PORT, { path: "/api/status", headers: { host } })).status).toBe(200);
  }
});

test("a cross-site form POST is refused before its body is read", async () => {
  const form = await probe(PORT, {
    method: "POST",
    path: "/api/explain",
    headers: { "content-type": "text/plain", origin: "https://attacker.example", "sec-fetch-site": "cross-site" },
    body: '{"flow":{"verdict":"DROPPED"}}',
  });
  expect(form.status).toBe(403);
  expect(errorOf(form.body).code).toBe("cross-site-request");
  const fetchFromElsewhere = await probe(PORT, {
    method: "POST",
    path: "/api/investigations",
    headers: { ...json, origin: "https://attacker.example" },
    body: '{"title":"x","view":"","flows":[]}',
  });
  expect(fetchFromElsewhere.status).toBe(403);
  // The dashboard's own fetch (same origin) and scripts (no Origin) are served.
  const own = await probe(PORT, {
    method: "POST",
    path: "/api/investigations",
    headers: { ...json, origin: `http://127.0.0.1:${PORT}`, "sec-fetch-site": "same-origin" },
    body: '{"title":"x","view":"","flows":[]}',
  });
  expect(own.status).toBe(201);
  const script = await probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: '{"title":"x","view":"","flows":[]}' });
  expect(script.status).toBe(201);
});

/** GET /api/flows from `localAddress` (any 127/8 address reaches the server): the answer's head, the stream left open. */
function openStream(localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; res: IncomingMessage; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: PORT, localAddress, agent: false, path: "/api/flows", headers }, (res) =>
      resolve({ status: res.statusCode ?? 0, res, close: () => req.destroy() }),
    );
    req.on("error", reject);
    req.end();
  });
}

function bodyOf(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (c: string) => (text += c));
    res.on("end", () => resolve(text));
    res.on("error", reject);
  });
}

test("one client address holds at most 16 flow streams: the 17th is a 429 with Retry-After, other addresses are served", async () => {
  test.setTimeout(60_000);
  const open: Array<{ close(): void }> = [];
  try {
    for (let i = 0; i < 16; i++) {
      const s = await openStream("127.0.0.1");
      open.push(s);
      expect(s.status, `stream ${i + 1}`).toBe(200);
    }
    const refused = await openStream("127.0.0.1");
    expect(refused.status).toBe(429);
    expect(refused.res.headers["retry-after"]).toBe("5");
    expect(refused.res.headers["content-type"]).toMatch(/application\/json/);
    const error = errorOf(await bodyOf(refused.res));
    expect(error.code).toBe("too-many-streams");
    expect(error.message).toMatch(/16 flow streams.*HUBBLE_LENS_MAX_STREAMS_PER_CLIENT/);
    // X-Forwarded-For names nobody: the connection's address counts.
    const forged = await openStream("127.0.0.1", { "x-forwarded-for": "192.0.2.7" });
    forged.close();
    expect(forged.status).toBe(429);
    // Another client (another address) is not affected.
    const other = await openStream("127.0.0.2");
    open.push(other);
    expect(other.status).toBe(200);
    // A stream that ends frees its place.
    open.shift()!.close();
    await until(
      async () => {
        const again = await openStream("127.0.0.1");
        if (again.status === 200) open.push(again);
        else again.close();
        return again.status === 200;
      },
      "a place after one stream closed",
      15_000,
    );
  } finally {
    for (const s of open) s.close();
  }
});

test("with no policy source, explaining (and so comparing with now) says it cannot", async () => {
  // The second webServer replays a capture and has no policy source.
  const hostilePort = Number(process.env.E2E_HOSTILE_PORT ?? 3101);
  const flow = { verdict: "DROPPED", source: { namespace: "a", labels: ["k8s:app=x"] }, destination: { namespace: "b", labels: ["k8s:app=y"] } };
  const res = await probe(hostilePort, { method: "POST", path: "/api/explain", headers: json, body: JSON.stringify({ flow, at: "now" }) });
  expect(res.status).toBe(409);
  expect(errorOf(res.body)).toEqual({ code: "no-policies", message: expect.stringMatching(/cannot be explained or compared/) });
});

test("the page of an unknown investigation says so in the browser, with a 404", async ({ page }) => {
  const res = await page.goto(`${server.base}/investigations/AAAAAAAAAAAAAAAAAAAAAA`);
  expect(res?.status()).toBe(404);
  await expect(page.getByText("This investigation cannot be shown")).toBeVisible();
});
