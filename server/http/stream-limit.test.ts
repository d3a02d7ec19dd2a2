import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PEER_HEADER } from "@/lib/auth/request";
import { StreamsPerClient, streamClient, tooManyStreams } from "./stream-limit";

const TOKEN = "t0ken";
const from = (address: string, extra: Record<string, string> = {}) => new Headers({ [PEER_HEADER]: `${TOKEN} ${address}`, ...extra });

describe("streams per client", () => {
  it("counts streams per client up to the cap; a released stream frees its place, once", () => {
    const limit = new StreamsPerClient(2);
    const a1 = limit.take("addr:10.0.0.1");
    assert.ok(a1);
    assert.ok(limit.take("addr:10.0.0.1"));
    assert.equal(limit.take("addr:10.0.0.1"), null, "the third is refused");
    assert.ok(limit.take("addr:10.0.0.2"), "another client has its own count");
    a1();
    a1(); // released twice counts once
    assert.equal(limit.count("addr:10.0.0.1"), 1);
    assert.ok(limit.take("addr:10.0.0.1"));
    assert.equal(limit.take("addr:10.0.0.1"), null);
  });

  it("without sign-in a client is the connection's address (IPv4 on a dual-stack socket is the IPv4 address)", () => {
    const anon = { mode: "none" as const, user: "anonymous" };
    assert.equal(streamClient(from("10.1.2.3"), anon, TOKEN), "addr:10.1.2.3");
    assert.equal(streamClient(from("::ffff:10.1.2.3"), anon, TOKEN), "addr:10.1.2.3");
    // X-Forwarded-For is nobody's word: the socket's peer counts.
    assert.equal(streamClient(from("10.1.2.3", { "x-forwarded-for": "192.0.2.9" }), anon, TOKEN), "addr:10.1.2.3");
  });

  it("a forged or missing peer header, or a server started without its entry, is not counted", () => {
    const anon = { mode: "none" as const, user: "anonymous" };
    assert.equal(streamClient(new Headers({ [PEER_HEADER]: "guess 10.1.2.3" }), anon, TOKEN), null);
    assert.equal(streamClient(new Headers(), anon, TOKEN), null);
    assert.equal(streamClient(from("10.1.2.3"), anon, null), null);
  });

  it("with sign-in a client is the person, whatever address (the sign-in proxy's) they come from", () => {
    for (const mode of ["proxy", "oidc"] as const) {
      assert.equal(streamClient(from("127.0.0.1"), { mode, user: "alice" }, TOKEN), "user:alice");
      assert.notEqual(streamClient(from("127.0.0.1"), { mode, user: "bob" }, TOKEN), "user:alice");
    }
  });

  it("the refusal is a 429 in the common error form, with Retry-After", async () => {
    const res = tooManyStreams(16);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "5");
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "too-many-streams");
    assert.match(body.error.message, /16 flow streams.*HUBBLE_LENS_MAX_STREAMS_PER_CLIENT/);
  });
});
