import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestPki, type TestPki } from "@/server/relay-client/testing/certs";
import { ConfigError, VARIABLES, describeConfig, loadServerConfig, renderConfigReference } from "./env";

function problemsOf(env: Record<string, string>): Map<string, string> {
  try {
    loadServerConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return new Map(err.problems.map((p) => [p.variable, p.message]));
  }
  assert.fail("expected a ConfigError");
}

describe("defaults mirror the hubble CLI and Hubble", () => {
  it("an empty environment runs the demo relay with the documented defaults", () => {
    const config = loadServerConfig({});
    assert.deepEqual(config.relay, { kind: "demo" });
    assert.equal(config.dialTimeoutMs, 5_000);
    assert.equal(config.requestTimeoutMs, 12_000);
    assert.equal(config.port, 3000);
    assert.deepEqual(config.demo, { scenario: "shop", rate: 200, seed: 7, bufferCapacity: 4095, replay: null });
    assert.deepEqual(config.warnings, []);
  });

  it("HUBBLE_SERVER and HUBBLE_TIMEOUT (the CLI's names) are accepted", () => {
    const config = loadServerConfig({ HUBBLE_SERVER: "localhost:4245", HUBBLE_TIMEOUT: "2s" });
    assert.deepEqual(config.relay, { kind: "external", address: "localhost:4245", tls: null });
    assert.equal(config.dialTimeoutMs, 2_000);
  });

  it("the same value under both names is fine, different values are refused", () => {
    assert.equal(loadServerConfig({ HUBBLE_RELAY_ADDR: "a:1", HUBBLE_SERVER: "a:1" }).relay.kind, "external");
    const problems = problemsOf({ HUBBLE_RELAY_ADDR: "a:1", HUBBLE_SERVER: "b:1" });
    assert.match(problems.get("HUBBLE_RELAY_ADDR")!, /HUBBLE_RELAY_ADDR and HUBBLE_SERVER are both set/);
  });
});

describe("values are parsed the way Hubble users write them", () => {
  const addresses: [string, string][] = [
    ["localhost:4245", "localhost:4245"],
    ["hubble-relay.kube-system.svc:80", "hubble-relay.kube-system.svc:80"],
    ["10.0.0.5:4245", "10.0.0.5:4245"],
    ["[::1]:4245", "[::1]:4245"],
  ];
  for (const [raw, address] of addresses) {
    it(`address ${raw}`, () => {
      const config = loadServerConfig({ HUBBLE_RELAY_ADDR: raw });
      assert.deepEqual(config.relay, { kind: "external", address, tls: null });
    });
  }

  it("durations use Go syntax", () => {
    const config = loadServerConfig({ HUBBLE_DIAL_TIMEOUT: "1m30s", HUBBLE_REQUEST_TIMEOUT: "1500ms" });
    assert.equal(config.dialTimeoutMs, 90_000);
    assert.equal(config.requestTimeoutMs, 1_500);
  });

  it("booleans accept Go's strconv.ParseBool spellings", () => {
    for (const raw of ["1", "t", "TRUE", "True", "true"]) {
      const config = loadServerConfig({ HUBBLE_RELAY_ADDR: "a:1", HUBBLE_TLS: raw, HUBBLE_TLS_ALLOW_INSECURE: "1" });
      assert.equal(config.relay.kind === "external" && config.relay.tls !== null, true, raw);
    }
    for (const raw of ["0", "f", "FALSE", "false"]) {
      const config = loadServerConfig({ HUBBLE_RELAY_ADDR: "a:1", HUBBLE_TLS: raw });
      assert.deepEqual(config.relay, { kind: "external", address: "a:1", tls: null }, raw);
    }
  });

  it("empty and blank variables count as unset", () => {
    assert.deepEqual(loadServerConfig({ HUBBLE_RELAY_ADDR: "  ", PORT: "" }).relay, { kind: "demo" });
  });
});

describe("every bad variable is reported at once, with how to fix it", () => {
  it("lists all problems in one ConfigError", () => {
    const problems = problemsOf({
      HUBBLE_RELAY_ADDR: "localhost",
      HUBBLE_TLS: "yes please",
      HUBBLE_DIAL_TIMEOUT: "5",
      HUBBLE_REQUEST_TIMEOUT: "soon",
      HUBBLE_LENS_DEMO_BUFFER: "4096",
      HUBBLE_LENS_DEMO_RATE: "-1",
      HUBBLE_LENS_DEMO_SEED: "x",
      HUBBLE_LENS_DEMO_SCENARIO: "Shop Floor",
      PORT: "70000",
    });
    assert.match(problems.get("HUBBLE_RELAY_ADDR")!, /must be host:port, e\.g\. localhost:4245/);
    assert.match(problems.get("HUBBLE_TLS")!, /must be true or false \(got "yes please"\)/);
    assert.match(problems.get("HUBBLE_DIAL_TIMEOUT")!, /Add a unit, e\.g\. 5s/);
    assert.match(problems.get("HUBBLE_REQUEST_TIMEOUT")!, /duration such as 5s/);
    assert.match(problems.get("HUBBLE_LENS_DEMO_BUFFER")!, /2\^n-1.*4095/);
    assert.match(problems.get("HUBBLE_LENS_DEMO_RATE")!, /flows per second/);
    assert.match(problems.get("HUBBLE_LENS_DEMO_SEED")!, /whole number/);
    assert.match(problems.get("HUBBLE_LENS_DEMO_SCENARIO")!, /scenario name/);
    assert.match(problems.get("PORT")!, /from 1 to 65535/);
    assert.equal(problems.size, 9);
  });

  it("the error message names each variable on its own line", () => {
    try {
      loadServerConfig({ HUBBLE_RELAY_ADDR: "nope", PORT: "0" });
      assert.fail("expected ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /2 problems/);
      assert.match(err.message, /\n {2}- HUBBLE_RELAY_ADDR: /);
      assert.match(err.message, /\n {2}- PORT: /);
    }
  });

  const badAddresses = ["localhost", "localhost:0", "localhost:99999", "http://relay:4245", "relay:42/x", ":4245"];
  for (const raw of badAddresses) {
    it(`refuses the address ${JSON.stringify(raw)}`, () => {
      assert.match(problemsOf({ HUBBLE_RELAY_ADDR: raw }).get("HUBBLE_RELAY_ADDR")!, /host:port/);
    });
  }

  it("a replay capture must be readable", () => {
    const problems = problemsOf({ HUBBLE_LENS_DEMO_REPLAY: "/nonexistent/flows.json" });
    assert.match(problems.get("HUBBLE_LENS_DEMO_REPLAY")!, /"\/nonexistent\/flows\.json" does not exist/);
    assert.match(problemsOf({ HUBBLE_LENS_DEMO_REPLAY: "/tmp" }).get("HUBBLE_LENS_DEMO_REPLAY")!, /is a directory/);
  });
});

describe("TLS settings", () => {
  let pki: TestPki;
  before(() => {
    pki = createTestPki();
    writeFileSync(join(pki.dir, "not-a-cert.pem"), "hello\n");
  });
  after(() => pki.cleanup());

  it("plain TLS with system roots", () => {
    const config = loadServerConfig({ HUBBLE_RELAY_ADDR: "relay:443", HUBBLE_TLS: "true" });
    assert.equal(config.relay.kind, "external");
    const tls = config.relay.kind === "external" ? config.relay.tls : null;
    assert.deepEqual(tls, { caCertPem: null, caCertFiles: [], clientCert: null, serverName: null, allowInsecure: false });
  });

  it("the hubble CLI's tls:// prefix turns TLS on and is stripped from the address", () => {
    const config = loadServerConfig({ HUBBLE_RELAY_ADDR: "tls://relay:443" });
    assert.ok(config.relay.kind === "external" && config.relay.tls !== null);
    assert.equal(config.relay.address, "relay:443");
  });

  it("CA files (comma- or space-separated) are read and concatenated at start", () => {
    const config = loadServerConfig({
      HUBBLE_RELAY_ADDR: "relay:443",
      HUBBLE_TLS_CA_CERT_FILES: `${pki.path("ca.crt")}, ${pki.path("other-ca.crt")}`,
    });
    assert.ok(config.relay.kind === "external" && config.relay.tls, "CA files imply TLS");
    const pem = config.relay.tls.caCertPem!.toString();
    assert.equal(pem.match(/BEGIN CERTIFICATE/g)!.length, 2);
    assert.deepEqual(config.relay.tls.caCertFiles, [pki.path("ca.crt"), pki.path("other-ca.crt")]);
    const spaced = loadServerConfig({
      HUBBLE_RELAY_ADDR: "relay:443",
      HUBBLE_TLS_CA_CERT_FILES: `${pki.path("ca.crt")} ${pki.path("other-ca.crt")}`,
    });
    assert.ok(spaced.relay.kind === "external");
    assert.deepEqual(spaced.relay.tls?.caCertFiles, [pki.path("ca.crt"), pki.path("other-ca.crt")]);
  });

  it("a client certificate and key together give mutual TLS", () => {
    const config = loadServerConfig({
      HUBBLE_RELAY_ADDR: "relay:443",
      HUBBLE_TLS_CLIENT_CERT_FILE: pki.path("client.crt"),
      HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("client.key"),
      HUBBLE_TLS_SERVER_NAME: "ui.hubble-relay.cilium.io",
    });
    assert.ok(config.relay.kind === "external" && config.relay.tls?.clientCert);
    assert.deepEqual(config.relay.tls.clientCert.certPem, pki.pem("client.crt"));
    assert.equal(config.relay.tls.serverName, "ui.hubble-relay.cilium.io");
  });

  it("a key without its certificate (and the reverse) is refused", () => {
    const keyOnly = problemsOf({ HUBBLE_RELAY_ADDR: "relay:443", HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("client.key") });
    assert.match(keyOnly.get("HUBBLE_TLS_CLIENT_CERT_FILE")!, /needs both a client certificate and its key/);
    const certOnly = problemsOf({ HUBBLE_RELAY_ADDR: "relay:443", HUBBLE_TLS_CLIENT_CERT_FILE: pki.path("client.crt") });
    assert.match(certOnly.get("HUBBLE_TLS_CLIENT_KEY_FILE")!, /only HUBBLE_TLS_CLIENT_CERT_FILE is set/);
  });

  it("a key that does not belong to the certificate is refused", () => {
    const problems = problemsOf({
      HUBBLE_RELAY_ADDR: "relay:443",
      HUBBLE_TLS_CLIENT_CERT_FILE: pki.path("client.crt"),
      HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("server.key"),
    });
    assert.match(problems.get("HUBBLE_TLS_CLIENT_KEY_FILE")!, /is not the private key of the certificate/);
  });

  it("unreadable or non-PEM files are refused at start, naming the file", () => {
    const problems = problemsOf({
      HUBBLE_RELAY_ADDR: "relay:443",
      HUBBLE_TLS_CA_CERT_FILES: `${pki.path("ca.crt")},${join(pki.dir, "missing.crt")},${join(pki.dir, "not-a-cert.pem")}`,
      HUBBLE_TLS_CLIENT_CERT_FILE: join(pki.dir, "not-a-cert.pem"),
      HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("client.crt"),
    });
    // Two CA problems share a variable; the map keeps the last one, so check the message list.
    assert.match(problems.get("HUBBLE_TLS_CA_CERT_FILES")!, /not-a-cert\.pem" holds no PEM certificate/);
    assert.match(problems.get("HUBBLE_TLS_CLIENT_CERT_FILE")!, /holds no PEM certificate/);
    assert.match(problems.get("HUBBLE_TLS_CLIENT_KEY_FILE")!, /holds no PEM private key/);
    try {
      loadServerConfig({ HUBBLE_RELAY_ADDR: "relay:443", HUBBLE_TLS_CA_CERT_FILES: join(pki.dir, "missing.crt") });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.problems[0].message, /missing\.crt" does not exist; point it at a PEM CA certificate file/);
    }
  });

  it("HUBBLE_TLS=false contradicting other TLS settings is refused", () => {
    const problems = problemsOf({
      HUBBLE_RELAY_ADDR: "tls://relay:443",
      HUBBLE_TLS: "false",
      HUBBLE_TLS_SERVER_NAME: "relay.example",
    });
    assert.match(problems.get("HUBBLE_TLS")!, /is false, but the tls:\/\/ prefix.*HUBBLE_TLS_SERVER_NAME ask for TLS/);
  });

  it("skipping verification works but comes with a loud warning", () => {
    const config = loadServerConfig({ HUBBLE_RELAY_ADDR: "relay:443", HUBBLE_TLS_ALLOW_INSECURE: "true" });
    assert.ok(config.relay.kind === "external" && config.relay.tls?.allowInsecure);
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0], /NOT verified/);
  });

  it("TLS settings without a relay address are ignored with a warning (demo relay)", () => {
    const config = loadServerConfig({ HUBBLE_TLS: "true" });
    assert.deepEqual(config.relay, { kind: "demo" });
    assert.match(config.warnings[0], /HUBBLE_TLS ignored: HUBBLE_RELAY_ADDR is not set/);
  });
});

describe("sign-in and access settings", () => {
  it("no sign-in is the default only on loopback", () => {
    const config = loadServerConfig({});
    assert.equal(config.auth.mode, "none");
    assert.equal(config.auth.host, "127.0.0.1");
    assert.equal(config.auth.loopbackOnly, true);
    assert.equal(loadServerConfig({ HUBBLE_LENS_HOST: "localhost" }).auth.mode, "none");
    assert.equal(loadServerConfig({ HUBBLE_LENS_HOST: "::1" }).auth.mode, "none");
  });

  it("listening beyond loopback without sign-in is refused, unless explicitly allowed (with a warning)", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.5"]) {
      assert.match(problemsOf({ HUBBLE_LENS_HOST: host }).get("HUBBLE_LENS_AUTH")!, /set HUBBLE_LENS_AUTH=oidc or proxy, or HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true/);
    }
    const allowed = loadServerConfig({ HUBBLE_LENS_HOST: "0.0.0.0", HUBBLE_LENS_ALLOW_UNAUTHENTICATED: "true" });
    assert.equal(allowed.auth.mode, "none");
    assert.ok(allowed.warnings.some((w) => /HUBBLE_LENS_ALLOW_UNAUTHENTICATED=true/.test(w)));
  });

  it("proxy mode needs the server's entry (it records the peer address)", () => {
    assert.match(problemsOf({ HUBBLE_LENS_AUTH: "proxy" }).get("HUBBLE_LENS_AUTH")!, /npm start/);
    const config = loadServerConfig({ HUBBLE_LENS_AUTH: "proxy", HUBBLE_LENS_HOST: "0.0.0.0", HUBBLE_LENS_PEER_TOKEN: "t", HUBBLE_LENS_TRUSTED_PROXIES: "10.0.0.0/8" });
    assert.equal(config.auth.mode, "proxy");
    assert.equal(config.auth.trustedProxies.length, 1);
    assert.match(
      problemsOf({ HUBBLE_LENS_AUTH: "proxy", HUBBLE_LENS_PEER_TOKEN: "t", HUBBLE_LENS_TRUSTED_PROXIES: "proxy.local" }).get("HUBBLE_LENS_TRUSTED_PROXIES")!,
      /IP addresses or CIDR/,
    );
    assert.match(problemsOf({ HUBBLE_LENS_AUTH: "ldap" }).get("HUBBLE_LENS_AUTH")!, /none, oidc or proxy/);
  });

  it("oidc needs the issuer, the client id and the public URL; the redirect URI keeps a sub-path", () => {
    const problems = problemsOf({ HUBBLE_LENS_AUTH: "oidc", HUBBLE_LENS_PROCESS_SECRET: "x".repeat(32) });
    for (const v of ["HUBBLE_LENS_OIDC_ISSUER", "HUBBLE_LENS_OIDC_CLIENT_ID", "HUBBLE_LENS_PUBLIC_URL"]) assert.match(problems.get(v)!, /missing/, v);
    const config = loadServerConfig({
      HUBBLE_LENS_AUTH: "oidc",
      HUBBLE_LENS_OIDC_ISSUER: "https://dex.example.com/dex",
      HUBBLE_LENS_OIDC_CLIENT_ID: "hubble-lens",
      HUBBLE_LENS_PUBLIC_URL: "https://tools.example.com/hubble-lens",
      HUBBLE_LENS_SESSION_SECRET: "s".repeat(40),
    });
    assert.equal(config.auth.oidc?.redirectUri, "https://tools.example.com/hubble-lens/auth/callback");
    assert.equal(config.auth.oidc?.scopes, "openid profile email");
    assert.equal(config.auth.oidc?.groupsClaim, "groups");
    assert.equal(config.auth.sessionSecret, "s".repeat(40));
    assert.match(problemsOf({ HUBBLE_LENS_SESSION_SECRET: "short" }).get("HUBBLE_LENS_SESSION_SECRET")!, /at least 32/);
  });

  it("an access file needs sign-in, and a bad one stops the start naming it", () => {
    assert.match(problemsOf({ HUBBLE_LENS_ACCESS_FILE: "/nonexistent.yaml" }).get("HUBBLE_LENS_ACCESS_FILE")!, /needs sign-in/);
    const problem = problemsOf({ HUBBLE_LENS_AUTH: "proxy", HUBBLE_LENS_PEER_TOKEN: "t", HUBBLE_LENS_ACCESS_FILE: "/nonexistent.yaml" }).get("HUBBLE_LENS_ACCESS_FILE")!;
    assert.match(problem, /nonexistent\.yaml/);
  });

  it("investigation retention takes days or Go durations", () => {
    assert.equal(loadServerConfig({}).investigationRetentionMs, null);
    assert.equal(loadServerConfig({ HUBBLE_LENS_INVESTIGATION_RETENTION: "90d" }).investigationRetentionMs, 90 * 86_400_000);
    assert.equal(loadServerConfig({ HUBBLE_LENS_INVESTIGATION_RETENTION: "720h" }).investigationRetentionMs, 720 * 3_600_000);
    assert.match(problemsOf({ HUBBLE_LENS_INVESTIGATION_RETENTION: "soon" }).get("HUBBLE_LENS_INVESTIGATION_RETENTION")!, /90d/);
  });
});

describe("describeConfig is the configuration reference", () => {
  it("has one row per variable, in table order, with aliases and defaults", () => {
    const rows = describeConfig();
    assert.deepEqual(
      rows.map((r) => r.name),
      Object.keys(VARIABLES),
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.deepEqual(byName.get("HUBBLE_RELAY_ADDR")!.aliases, ["HUBBLE_SERVER"]);
    assert.equal(byName.get("HUBBLE_DIAL_TIMEOUT")!.default, "5s");
    assert.equal(byName.get("HUBBLE_REQUEST_TIMEOUT")!.default, "12s");
    assert.equal(byName.get("HUBBLE_LENS_DEMO_BUFFER")!.default, "4095");
    for (const row of rows) assert.ok(row.description.length > 20, row.name);
  });

  it("every default in the table is itself valid", () => {
    assert.doesNotThrow(() => loadServerConfig({}));
  });
});

describe("HUBBLE_LENS_BASE_PATH (sub-path hosting)", () => {
  it("is the root unless set, and takes a prefix with or without its trailing slash", () => {
    assert.equal(loadServerConfig({}, undefined).basePath, "");
    assert.equal(loadServerConfig({ HUBBLE_LENS_BASE_PATH: "/" }, "").basePath, "");
    assert.equal(loadServerConfig({ HUBBLE_LENS_BASE_PATH: "/hubble-lens/" }, "/hubble-lens").basePath, "/hubble-lens");
  });

  it("refuses what is not a path prefix", () => {
    for (const raw of ["hubble-lens", "/a b", "//evil.example", "/x?y=1", "/a/../b"]) {
      assert.match(problemsOf({ HUBBLE_LENS_BASE_PATH: raw }).get("HUBBLE_LENS_BASE_PATH") ?? "", /URL path prefix such as \/hubble-lens/, raw);
    }
  });

  it("refuses to serve a build made for another prefix, and says how to rebuild", () => {
    const problem = (env: Record<string, string>, built: string) => {
      try {
        loadServerConfig(env, built);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems.find((p) => p.variable === "HUBBLE_LENS_BASE_PATH")?.message;
      }
      return undefined;
    };
    assert.match(problem({ HUBBLE_LENS_BASE_PATH: "/hubble-lens" }, "") ?? "", /this build serves under the root \(\/\).*--build-arg HUBBLE_LENS_BASE_PATH=\/hubble-lens/);
    assert.match(problem({}, "/hubble-lens") ?? "", /is the root \(\/\), but this build serves under \/hubble-lens.*HUBBLE_LENS_BASE_PATH=\/hubble-lens/);
    assert.match(problem({ HUBBLE_LENS_BASE_PATH: "/a" }, "/b") ?? "", /is \/a, but this build serves under \/b/);
    assert.equal(problem({ HUBBLE_LENS_BASE_PATH: "/b" }, "/b"), undefined);
    // Outside a Next.js build (unit tests, the CLIs) there is no build to compare with.
    assert.equal(loadServerConfig({ HUBBLE_LENS_BASE_PATH: "/b" }, undefined).basePath, "/b");
  });
});

describe("the configuration reference in the READMEs", () => {
  it("server/config/README.md shows exactly renderConfigReference()", () => {
    const readme = readFileSync(join(__dirname, "README.md"), "utf8");
    const table = /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme)?.[1];
    assert.equal(table, renderConfigReference(), "regenerate the table from renderConfigReference()");
  });

  it("the project README shows exactly renderConfigReference()", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const table = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(readme)?.[1];
    assert.equal(table, renderConfigReference(), "regenerate the table from renderConfigReference()");
  });
});

describe("stream limits: what one client or stream may take", () => {
  it("defaults: 16 streams per client, 32 relay streams, 4 history queries, 8MiB queues, 30s stall", () => {
    assert.deepEqual(loadServerConfig({}).limits, {
      maxStreamsPerClient: 16,
      maxRelayStreams: 32,
      maxHistoryQueries: 4,
      queueBytes: 8 * 2 ** 20,
      stalledReaderMs: 30_000,
    });
  });

  it("each can be set", () => {
    const limits = loadServerConfig({
      HUBBLE_LENS_MAX_STREAMS_PER_CLIENT: "200",
      HUBBLE_LENS_MAX_RELAY_STREAMS: "8",
      HUBBLE_LENS_MAX_HISTORY_QUERIES: "2",
      HUBBLE_LENS_STREAM_QUEUE_SIZE: "32MB",
      HUBBLE_LENS_STALLED_STREAM_TIMEOUT: "1m30s",
    }).limits;
    assert.deepEqual(limits, { maxStreamsPerClient: 200, maxRelayStreams: 8, maxHistoryQueries: 2, queueBytes: 32_000_000, stalledReaderMs: 90_000 });
    assert.equal(loadServerConfig({ HUBBLE_LENS_STREAM_QUEUE_SIZE: "512KiB" }).limits.queueBytes, 512 * 1024);
  });

  const bad: [string, string, RegExp][] = [
    ["HUBBLE_LENS_MAX_STREAMS_PER_CLIENT", "0", /whole number from 1 to 100000/],
    ["HUBBLE_LENS_MAX_STREAMS_PER_CLIENT", "-3", /whole number/],
    ["HUBBLE_LENS_MAX_STREAMS_PER_CLIENT", "ten", /whole number.*"ten"/],
    ["HUBBLE_LENS_MAX_RELAY_STREAMS", "1.5", /whole number/],
    ["HUBBLE_LENS_MAX_HISTORY_QUERIES", "0", /whole number from 1/],
    ["HUBBLE_LENS_STREAM_QUEUE_SIZE", "100KB", /from 256KiB to 1GiB/],
    ["HUBBLE_LENS_STREAM_QUEUE_SIZE", "2GiB", /from 256KiB to 1GiB/],
    ["HUBBLE_LENS_STREAM_QUEUE_SIZE", "lots", /size.*"lots"/],
    ["HUBBLE_LENS_STALLED_STREAM_TIMEOUT", "30", /Add a unit, e.g. 30s/],
    ["HUBBLE_LENS_STALLED_STREAM_TIMEOUT", "500ms", /at least 1s/],
    ["HUBBLE_LENS_STALLED_STREAM_TIMEOUT", "2h", /between 1ms and 1h/],
  ];
  for (const [name, raw, message] of bad) {
    it(`${name}=${raw} is refused with how to fix it`, () => {
      assert.match(problemsOf({ [name]: raw }).get(name) ?? "", message);
    });
  }
});
