import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRequest, parseTrustedProxies, PEER_HEADER, SESSION_COOKIE, SESSION_PURPOSE, type AuthRequestSettings } from "./request";
import { seal, unseal } from "./sealed";

const TOKEN = "per-process-token-0123456789";
const SECRET = "a-session-secret-of-at-least-32-characters";
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

function settings(over: Partial<AuthRequestSettings> = {}): AuthRequestSettings {
  return { mode: "proxy", trustedProxies: parseTrustedProxies("127.0.0.1/8,::1").prefixes, sessionSecret: SECRET, peerToken: TOKEN, ...over };
}

const proxied = (peer: string, extra: Record<string, string> = {}, token = TOKEN) =>
  new Headers({
    [PEER_HEADER]: `${token} ${peer}`,
    "x-forwarded-user": "alice",
    "x-forwarded-email": "alice@example.com",
    "x-forwarded-groups": "shop-team, ops,shop-team",
    ...extra,
  });

describe("proxy sign-in: X-Forwarded-* only from trusted proxy addresses", () => {
  it("believes the headers from loopback (a sidecar), with the groups split and de-duplicated", async () => {
    for (const peer of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.9"]) {
      const r = await checkRequest(proxied(peer), settings(), NOW);
      assert.ok(r.ok, peer);
      assert.deepEqual(r.person, { user: "alice", email: "alice@example.com", groups: ["shop-team", "ops"] });
    }
  });

  it("refuses them from any other address, whatever X-Forwarded-For says", async () => {
    const r = await checkRequest(proxied("10.0.0.7", { "x-forwarded-for": "127.0.0.1" }), settings(), NOW);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, "untrusted-peer");
  });

  it("trusts configured addresses and prefixes", async () => {
    const s = settings({ trustedProxies: parseTrustedProxies("10.0.0.0/8, 192.0.2.1").prefixes });
    assert.ok((await checkRequest(proxied("10.1.2.3"), s, NOW)).ok);
    assert.ok((await checkRequest(proxied("192.0.2.1"), s, NOW)).ok);
    assert.equal((await checkRequest(proxied("192.0.2.2"), s, NOW)).ok, false);
    assert.equal((await checkRequest(proxied("127.0.0.1"), s, NOW)).ok, false, "loopback is no longer trusted");
  });

  it("refuses a peer header the client wrote itself (wrong token), and a missing one", async () => {
    const forged = await checkRequest(proxied("127.0.0.1", {}, "guessed-token-0000000000000"), settings(), NOW);
    assert.equal(!forged.ok && forged.reason, "no-peer");
    const missing = await checkRequest(new Headers({ "x-forwarded-user": "alice" }), settings(), NOW);
    assert.equal(!missing.ok && missing.reason, "no-peer");
    const noEntry = await checkRequest(proxied("127.0.0.1"), settings({ peerToken: null }), NOW);
    assert.equal(noEntry.ok, false, "without the server's entry nothing is believed");
  });

  it("needs a user or an email from the proxy", async () => {
    const r = await checkRequest(new Headers({ [PEER_HEADER]: `${TOKEN} 127.0.0.1` }), settings(), NOW);
    assert.equal(!r.ok && r.reason, "no-user");
    const byEmail = await checkRequest(new Headers({ [PEER_HEADER]: `${TOKEN} 127.0.0.1`, "x-forwarded-email": "bob@example.com" }), settings(), NOW);
    assert.ok(byEmail.ok && byEmail.person.user === "bob@example.com");
  });

  it("refuses the reserved user anonymous (the owner of what was saved without sign-in)", async () => {
    const r = await checkRequest(proxied("127.0.0.1", { "x-forwarded-user": "Anonymous" }), settings(), NOW);
    assert.equal(r.ok, false);
  });

  it("rejects bad trusted-proxy entries", () => {
    assert.deepEqual(parseTrustedProxies("10.0.0.0/8, nonsense, 300.1.1.1").invalid, ["nonsense", "300.1.1.1"]);
  });
});

describe("OIDC sessions: sealed cookies", () => {
  const cookieOf = async (payload: Record<string, unknown>, expiresAt = NOW + 3_600_000, secret = SECRET, purpose = SESSION_PURPOSE) =>
    new Headers({ cookie: `other=1; ${SESSION_COOKIE}=${await seal(payload, secret, purpose, expiresAt)}` });
  const oidc = settings({ mode: "oidc" });

  it("opens a session this server sealed", async () => {
    const r = await checkRequest(await cookieOf({ u: "alice", e: "alice@example.com", g: ["shop-team"] }), oidc, NOW);
    assert.ok(r.ok);
    assert.deepEqual(r.person, { user: "alice", email: "alice@example.com", groups: ["shop-team"] });
  });

  it("refuses an expired, altered, foreign or other-purpose value, and no cookie", async () => {
    const expired = await cookieOf({ u: "alice" }, NOW - 1);
    const foreign = await cookieOf({ u: "alice" }, NOW + 3_600_000, "another-secret-of-at-least-32-characters!");
    const login = await cookieOf({ u: "alice" }, NOW + 3_600_000, SECRET, "login");
    const good = (await cookieOf({ u: "alice" })).get("cookie")!;
    const value = good.split(`${SESSION_COOKIE}=`)[1]!;
    const flipped = new Headers({ cookie: `${SESSION_COOKIE}=${value.slice(0, 20)}${value[20] === "A" ? "B" : "A"}${value.slice(21)}` });
    for (const [what, headers] of [
      ["expired", expired],
      ["foreign", foreign],
      ["login purpose", login],
      ["altered", flipped],
      ["none", new Headers()],
    ] as const) {
      const r = await checkRequest(headers, oidc, NOW);
      assert.equal(r.ok, false, what);
    }
  });

  it("round-trips the payload and says null for junk", async () => {
    const v = await seal({ a: [1, "x"] }, SECRET, "p", NOW + 1000);
    assert.deepEqual((await unseal(v, SECRET, "p", NOW))?.a, [1, "x"]);
    for (const junk of ["", "!!!", "a".repeat(9000), "AAAA"]) assert.equal(await unseal(junk, SECRET, "p", NOW), null);
  });
});

describe("no sign-in", () => {
  it("everyone is anonymous", async () => {
    const r = await checkRequest(new Headers({ "x-forwarded-user": "mallory" }), settings({ mode: "none" }), NOW);
    assert.ok(r.ok && r.person.user === "anonymous", "forwarded headers mean nothing without proxy mode");
  });
});
