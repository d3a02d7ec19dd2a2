import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { accessKey } from "@/lib/access/scope";
import { PEER_HEADER } from "@/lib/auth/request";
import { loadServerConfig, type AuthSettings } from "@/server/config/env";
import { getMetrics } from "@/server/metrics";
import { viewerOf } from "./viewer";

// The server side of sign-in: the configuration as loaded at start, the peer token the server's
// entry sets, the access file, and the auth failure metric.

const TOKEN = "test-peer-token-0123456789abcdef";

async function failures(): Promise<number> {
  return (await getMetrics().authFailures.get()).values[0]?.value ?? 0;
}

describe("viewerOf: who asks, and what they may see", () => {
  let dir: string;
  let auth: AuthSettings;
  const saved = process.env.HUBBLE_LENS_PEER_TOKEN;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hubble-lens-auth-"));
    const file = join(dir, "access.yaml");
    writeFileSync(file, "users:\n  alice: [shop-frontend]\ngroups:\n  billing-team: [billing]\n  platform: '*'\n");
    process.env.HUBBLE_LENS_PEER_TOKEN = TOKEN;
    auth = loadServerConfig({ HUBBLE_LENS_AUTH: "proxy", HUBBLE_LENS_PEER_TOKEN: TOKEN, HUBBLE_LENS_ACCESS_FILE: file }).auth;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.HUBBLE_LENS_PEER_TOKEN;
    else process.env.HUBBLE_LENS_PEER_TOKEN = saved;
  });

  const from = (peer: string, user?: string, groups?: string) =>
    new Headers({
      [PEER_HEADER]: `${TOKEN} ${peer}`,
      ...(user ? { "x-forwarded-user": user } : {}),
      ...(groups ? { "x-forwarded-groups": groups } : {}),
    });

  it("resolves a proxied user's namespaces from the access file", async () => {
    const alice = await viewerOf(from("127.0.0.1", "alice"), auth);
    assert.ok(alice.ok);
    assert.equal(accessKey(alice.viewer.access), "shop-frontend");
    const bob = await viewerOf(from("::1", "bob", "billing-team"), auth);
    assert.ok(bob.ok && accessKey(bob.viewer.access) === "billing");
    const ops = await viewerOf(from("127.0.0.1", "olga", "platform"), auth);
    assert.ok(ops.ok && ops.viewer.access.all);
    const stranger = await viewerOf(from("127.0.0.1", "mallory"), auth);
    assert.ok(stranger.ok && accessKey(stranger.viewer.access) === "", "signed in, but no namespace");
  });

  it("refuses (401) and counts a request from an untrusted address, or without a user", async () => {
    const before = await failures();
    const spoofed = await viewerOf(from("10.0.0.9", "alice"), auth);
    assert.equal(spoofed.ok, false);
    assert.equal(!spoofed.ok && spoofed.status, 401);
    assert.equal((await viewerOf(from("127.0.0.1"), auth)).ok, false);
    assert.equal(await failures(), before + 2);
  });

  it("without sign-in, everyone is anonymous and sees every namespace", async () => {
    const none = await viewerOf(new Headers({ "x-forwarded-user": "alice" }), loadServerConfig({}).auth);
    assert.ok(none.ok);
    assert.equal(none.viewer.user, "anonymous");
    assert.equal(none.viewer.access.all, true);
  });
});
