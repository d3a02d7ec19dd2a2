import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commonSecurityHeaders, crossSiteReason, hostAllowed, httpSecurityFromEnv, pageCsp, type HttpSecuritySettings } from "./http-security";

function settings(env: Record<string, string> = {}): HttpSecuritySettings {
  const r = httpSecurityFromEnv(env);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.settings;
}

describe("Host allowlist", () => {
  const s = settings({ HUBBLE_LENS_PUBLIC_URL: "https://lens.example.com", HUBBLE_LENS_ALLOWED_HOSTS: "ops.example.net, .corp.example" });
  const cases: Array<[string | null, boolean]> = [
    ["localhost:3000", true],
    ["app.localhost", true],
    ["127.0.0.1:3000", true],
    ["10.0.3.7", true],
    ["[::1]:3000", true],
    ["lens.example.com", true],
    ["LENS.example.com.:443", true],
    ["ops.example.net", true],
    ["a.corp.example", true],
    ["corp.example", true],
    ["evil.example", false],
    ["lens.example.com.evil.example", false],
    ["localhost.evil.example", false],
    ["127.0.0.1.nip.io", false],
    ["", false],
    [null, false],
  ];
  for (const [host, allowed] of cases) {
    it(`${allowed ? "answers" : "refuses"} Host ${JSON.stringify(host)}`, () => assert.equal(hostAllowed(host, s), allowed));
  }
  it("allows any host with *", () => assert.equal(hostAllowed("evil.example", settings({ HUBBLE_LENS_ALLOWED_HOSTS: "*" })), true));
});

describe("same-origin POSTs", () => {
  const s = settings({ HUBBLE_LENS_PUBLIC_URL: "https://lens.example.com" });
  const h = (o: Record<string, string>) => new Headers({ host: "127.0.0.1:3000", ...o });
  it("lets the dashboard's own fetches and non-browser clients through", () => {
    assert.equal(crossSiteReason(h({ "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:3000" }), s), undefined);
    assert.equal(crossSiteReason(h({}), s), undefined);
    assert.equal(crossSiteReason(h({ origin: "https://lens.example.com" }), s), undefined);
  });
  it("refuses cross-site forms and fetches, and opaque origins", () => {
    assert.match(crossSiteReason(h({ "sec-fetch-site": "cross-site", origin: "https://evil.example" }), s)!, /another site/);
    assert.match(crossSiteReason(h({ "sec-fetch-site": "same-site" }), s)!, /another site/);
    assert.match(crossSiteReason(h({ origin: "https://evil.example" }), s)!, /another origin/);
    assert.match(crossSiteReason(h({ origin: "null" }), s)!, /opaque/);
  });
});

describe("headers", () => {
  it("deny framing by default, and allow the configured ancestors", () => {
    assert.equal(commonSecurityHeaders(settings())["X-Frame-Options"], "DENY");
    assert.match(pageCsp("n0nce", settings()), /frame-ancestors 'none'/);
    const portal = settings({ HUBBLE_LENS_FRAME_ANCESTORS: "'self' https://portal.example.com" });
    assert.equal(commonSecurityHeaders(portal)["X-Frame-Options"], undefined);
    assert.match(pageCsp("n0nce", portal), /frame-ancestors 'self' https:\/\/portal\.example\.com/);
  });
  it("let only nonce'd scripts run", () => {
    const csp = pageCsp("n0nce", settings());
    assert.match(csp, /script-src 'self' 'nonce-n0nce' 'strict-dynamic'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  });
});

describe("configuration", () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ HUBBLE_LENS_PUBLIC_URL: "lens.example.com" }, /HUBBLE_LENS_PUBLIC_URL/],
    [{ HUBBLE_LENS_ALLOWED_HOSTS: "https://x.example" }, /HUBBLE_LENS_ALLOWED_HOSTS/],
    [{ HUBBLE_LENS_FRAME_ANCESTORS: "'none' https://x.example" }, /HUBBLE_LENS_FRAME_ANCESTORS/],
    [{ HUBBLE_LENS_FRAME_ANCESTORS: "https://x.example; script-src *" }, /HUBBLE_LENS_FRAME_ANCESTORS/],
  ];
  for (const [env, variable] of bad) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      const r = httpSecurityFromEnv(env);
      assert.equal(r.ok, false);
      assert.match(JSON.stringify(!r.ok && r.problems), variable);
    });
  }
});
