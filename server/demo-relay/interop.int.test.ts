import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { startDemoRelay, type RunningDemoRelay } from "./index";
import { DEMO_RELAY_VERSION } from "./observer-service";
import { CUSTOM_SERVER_NAME, createTestPki, type TestPki } from "@/server/relay-client/testing/certs";

// The demo relay against a gRPC client that is not grpc-js: gRPC's C core, through Debian's
// python3-grpcio (.ci/run installs it). Every other test talks to the relay with grpc-js, which
// could share a misreading of the protocol with the relay's own transport; this one cannot.

const PYTHON = "/usr/bin/python3";
const CLIENT = join(__dirname, "testing", "grpc_core_client.py");
const FLOW_TAG = 0x0a;
const NODE_STATUS_TAG = 0x12;

function hasGrpcCore(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import grpc"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Report {
  server_status_bytes: number;
  get_flows_first_bytes: number[];
  initial_metadata: Record<string, string>;
  get_flows_code: string;
  follow_code: string;
  follow_messages: number;
  GetAgentEvents: [string, string];
  GetDebugEvents: [string, string];
}

function runClient(args: string[]): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [CLIENT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

function assertHubbleAnswers(r: Report, nodes: number): void {
  assert.ok(r.server_status_bytes > 0);
  // `number` counts per node, behind one NODE_CONNECTED status event: as Hubble Relay answers.
  assert.equal(r.get_flows_code, "OK");
  assert.equal(r.get_flows_first_bytes[0], NODE_STATUS_TAG);
  assert.equal(r.get_flows_first_bytes.filter((b) => b === FLOW_TAG).length, 20 * nodes);
  assert.equal(r.initial_metadata["hubble-relay-version"], DEMO_RELAY_VERSION);
  assert.equal(r.follow_code, "DEADLINE_EXCEEDED");
  assert.ok(r.follow_messages > 20 * nodes, `follow gave ${r.follow_messages} messages`);
  assert.deepEqual(r.GetAgentEvents, ["UNIMPLEMENTED", "GetAgentEvents not yet implemented"]);
  assert.deepEqual(r.GetDebugEvents, ["UNIMPLEMENTED", "GetDebugEvents not yet implemented"]);
}

describe("the demo relay with gRPC's C core as the client", { skip: hasGrpcCore() ? false : "python3-grpcio is not installed (.ci/run installs it)" }, () => {
  let pki: TestPki;
  const relays: RunningDemoRelay[] = [];

  before(() => {
    pki = createTestPki();
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.close()));
    pki.cleanup();
  });

  it("answers every Observer RPC as Hubble Relay does, in plaintext", async () => {
    const relay = await startDemoRelay({ port: 0, seed: 5, rate: 400 });
    relays.push(relay);
    assertHubbleAnswers(await runClient([relay.address]), relay.cluster.nodes.length);
  });

  it("and over mutual TLS", async () => {
    const relay = await startDemoRelay({
      port: 0,
      seed: 5,
      rate: 400,
      tls: { certPem: pki.pem("server.crt"), keyPem: pki.pem("server.key"), caPem: pki.pem("ca.crt"), requireClientCert: true },
    });
    relays.push(relay);
    const report = await runClient([relay.address, pki.path("ca.crt"), pki.path("client.crt"), pki.path("client.key"), CUSTOM_SERVER_NAME]);
    assertHubbleAnswers(report, relay.cluster.nodes.length);
  });
});
