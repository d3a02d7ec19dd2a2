// TLS and mutual TLS end to end: environment variables -> loadServerConfig -> RelayClient ->
// a demo relay serving certificates this test makes with openssl.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { loadServerConfig } from "@/server/config/env";
import { type DemoRelayTls, type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { RelayError } from "./errors";
import { FlowFollower } from "./flow-follower";
import { RelayClient, relayConnectionFromConfig } from "./relay-client";
import { CUSTOM_SERVER_NAME, type TestPki, createTestPki } from "./testing/certs";
import { waitUntil } from "@/lib/testing/wait";

let pki: TestPki;
const relays: RunningDemoRelay[] = [];

async function relayWith(tls: DemoRelayTls | undefined): Promise<RunningDemoRelay> {
  const relay = await startDemoRelay({ port: 0, seed: 3, rate: 50, tls });
  relays.push(relay);
  return relay;
}

/** A client configured exactly as the server would be from these variables. */
function clientFor(env: Record<string, string>): RelayClient {
  const config = loadServerConfig({ HUBBLE_DIAL_TIMEOUT: "3s", HUBBLE_REQUEST_TIMEOUT: "3s", ...env });
  return new RelayClient(relayConnectionFromConfig(config));
}

async function statusOutcome(client: RelayClient): Promise<"ok" | RelayError> {
  try {
    await client.serverStatus();
    return "ok";
  } catch (err) {
    assert.ok(err instanceof RelayError, `expected RelayError, got ${err}`);
    return err;
  } finally {
    client.close();
  }
}

function assertTlsFailure(outcome: "ok" | RelayError, hint: RegExp): void {
  assert.notEqual(outcome, "ok", "the call should fail");
  const err = outcome as RelayError;
  assert.equal(err.code, "tls_failed", `${err.code}: ${err.detail}`);
  assert.equal(err.retryable, false);
  assert.match(err.message, hint);
}

/**
 * With TLS 1.3 the relay rejects a client certificate after the client's side of the handshake is
 * done. The TLS alert can lose the race with the socket closing, and grpc-js then only reports
 * "Failed to connect" (retryable, as a relay going down looks the same). Either way the user is
 * pointed at the client certificate.
 */
function assertClientCertRefused(outcome: "ok" | RelayError): void {
  assert.notEqual(outcome, "ok", "the relay should refuse");
  const err = outcome as RelayError;
  assert.ok(err.code === "tls_failed" || err.code === "relay_unreachable", `${err.code}: ${err.detail}`);
  assert.match(err.message, /HUBBLE_TLS_CLIENT_CERT_FILE/);
}

before(() => {
  pki = createTestPki();
});
after(async () => {
  await Promise.all(relays.map((r) => r.close()));
  pki.cleanup();
});

describe("TLS to the relay", () => {
  let relay: RunningDemoRelay;
  before(async () => {
    relay = await relayWith({ certPem: pki.pem("server.crt"), keyPem: pki.pem("server.key") });
  });

  it("works with the CA from HUBBLE_TLS_CA_CERT_FILES", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt") }));
    assert.equal(outcome, "ok");
  });

  it("refuses a relay certificate from an unknown CA: tls_failed, not retried", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("other-ca.crt") }));
    assertTlsFailure(outcome, /HUBBLE_TLS_CA_CERT_FILES/);
  });

  it("a follower with the wrong CA ends in the failed state with the TLS hint", async () => {
    const client = clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("other-ca.crt") });
    const follower = new FlowFollower({ source: client, onResponse: () => {} });
    try {
      follower.start();
      await waitUntil(() => follower.state.kind === "failed", "failed state");
      assert.ok(follower.state.kind === "failed");
      assert.match(follower.state.reason, /TLS connection to Hubble Relay failed.*HUBBLE_TLS_CA_CERT_FILES/);
    } finally {
      await follower.stop();
      client.close();
    }
  });

  it("HUBBLE_TLS_ALLOW_INSECURE skips verification", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS: "true", HUBBLE_TLS_ALLOW_INSECURE: "true" }));
    assert.equal(outcome, "ok");
  });

  it("a plaintext client at the TLS port is retried as unreachable, with a hint to set HUBBLE_TLS", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address }));
    assert.notEqual(outcome, "ok");
    const err = outcome as RelayError;
    assert.equal(err.code, "relay_unreachable");
    assert.match(err.message, /HUBBLE_TLS=true/);
  });

  it("a TLS client at a plaintext relay is told the relay does not speak TLS", async () => {
    const plain = await relayWith(undefined);
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: plain.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt") }));
    assertTlsFailure(outcome, /does not speak TLS/);
  });
});

describe("HUBBLE_TLS_SERVER_NAME", () => {
  let relay: RunningDemoRelay;
  before(async () => {
    // This certificate names only relay.hubble-lens.test, not 127.0.0.1.
    relay = await relayWith({ certPem: pki.pem("named-server.crt"), keyPem: pki.pem("named-server.key") });
  });

  it("without it, the certificate does not match the address", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt") }));
    assertTlsFailure(outcome, /HUBBLE_TLS_SERVER_NAME/);
  });

  it("with it, the certificate is verified against that name", async () => {
    const outcome = await statusOutcome(
      clientFor({
        HUBBLE_RELAY_ADDR: relay.address,
        HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt"),
        HUBBLE_TLS_SERVER_NAME: CUSTOM_SERVER_NAME,
      }),
    );
    assert.equal(outcome, "ok");
  });

  it("a name the certificate does not carry is refused", async () => {
    const outcome = await statusOutcome(
      clientFor({
        HUBBLE_RELAY_ADDR: relay.address,
        HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt"),
        HUBBLE_TLS_SERVER_NAME: "someone-else.hubble-lens.test",
      }),
    );
    assertTlsFailure(outcome, /HUBBLE_TLS_SERVER_NAME/);
  });
});

describe("mutual TLS", () => {
  let relay: RunningDemoRelay;
  before(async () => {
    relay = await relayWith({
      certPem: pki.pem("server.crt"),
      keyPem: pki.pem("server.key"),
      caPem: pki.pem("ca.crt"),
      requireClientCert: true,
    });
  });

  it("works with the client certificate and key", async () => {
    const client = clientFor({
      HUBBLE_RELAY_ADDR: relay.address,
      HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt"),
      HUBBLE_TLS_CLIENT_CERT_FILE: pki.path("client.crt"),
      HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("client.key"),
    });
    try {
      const { nodes } = await client.getNodes();
      assert.ok(nodes.length > 0);
      // Streams work over mTLS too.
      const first: GetFlowsResponse[] = [];
      for await (const r of client.getFlows(create(GetFlowsRequestSchema, { number: 1n }))) {
        first.push(r);
      }
      assert.equal(first[0].responseTypes.case, "nodeStatus");
    } finally {
      client.close();
    }
  });

  it("without a client certificate the relay refuses the connection", async () => {
    const outcome = await statusOutcome(clientFor({ HUBBLE_RELAY_ADDR: relay.address, HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt") }));
    assertClientCertRefused(outcome);
  });

  it("a client certificate from a CA the relay does not trust is refused, naming the certificate", async () => {
    const outcome = await statusOutcome(
      clientFor({
        HUBBLE_RELAY_ADDR: relay.address,
        HUBBLE_TLS_CA_CERT_FILES: pki.path("ca.crt"),
        HUBBLE_TLS_CLIENT_CERT_FILE: pki.path("stranger-client.crt"),
        HUBBLE_TLS_CLIENT_KEY_FILE: pki.path("stranger-client.key"),
      }),
    );
    assertClientCertRefused(outcome);
  });
});
