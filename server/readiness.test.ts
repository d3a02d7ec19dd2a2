import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "@/server/config/env";
import { HubbleLensMetrics } from "@/server/metrics";
import type { Runtime } from "@/server/runtime";
import type { RelayStatusView } from "@/lib/api/status";
import { checkReadiness, livenessResponse, readinessResponse } from "./readiness";

// The states of /readyz that the HTTP tests (e2e/operations.spec.ts) cannot reach on a real
// server: an invalid configuration (the server refuses to start with one) and a start still in
// progress. The reachable ones (relay down, relay up) are tested there, against the real thing.

function statusView(reachable: boolean): RelayStatusView {
  return {
    relay: {
      address: "relay:4245",
      demo: false,
      reachable,
      version: "",
      checkedAt: new Date(0).toISOString(),
      outages: { count: 0, totalSeconds: 0 },
      ...(reachable ? {} : { error: { code: "relay-unavailable", message: "connection refused" } }),
    },
    nodes: { connected: 0, unavailable: 0, unavailableNames: [], list: [] },
    flows: { rate: 0, numFlows: 0, maxFlows: 0, seenFlows: 0, bufferFill: 0 },
  };
}

/** Only what readiness reads of a runtime. */
function fakeRuntime(status: () => Promise<RelayStatusView>): Runtime {
  return { client: { address: "relay:4245" }, investigations: { kind: "sqlite" }, status: { status } } as unknown as Runtime;
}

const valid = () => ({});

describe("checkReadiness", () => {
  it("an invalid configuration is not ready, with what to fix", async () => {
    const r = await checkReadiness({
      config: () => {
        throw new ConfigError([{ variable: "HUBBLE_TLS", message: "must be true or false" }]);
      },
      runtime: () => Promise.reject(new Error("unreachable")),
      metrics: new HubbleLensMetrics(),
    });
    assert.equal(r.ready, false);
    const res = readinessResponse(r);
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.error.code, "not-ready");
    assert.match(body.error.message, /config: .*HUBBLE_TLS: must be true or false/);
  });

  it("a start still in progress is not ready (answered within the wait, not hung)", async () => {
    const r = await checkReadiness({ config: valid, runtime: () => new Promise(() => {}), metrics: new HubbleLensMetrics(), waitMs: 50 });
    assert.equal(r.ready, false);
    assert.match(r.checks.store.detail, /^starting/);
  });

  it("a relay never reached is not ready; once it answers, ready; a later outage keeps it ready", async () => {
    const metrics = new HubbleLensMetrics();
    let reachable = false;
    const runtime = fakeRuntime(async () => statusView(reachable));
    let r = await checkReadiness({ config: valid, runtime: async () => runtime, metrics });
    assert.equal(r.ready, false);
    assert.match(r.checks.relay.detail, /relay relay:4245 not reached yet \(relay-unavailable: connection refused\)/);
    assert.equal(r.checks.store.ok, true);

    reachable = true;
    r = await checkReadiness({ config: valid, runtime: async () => runtime, metrics });
    assert.equal(r.ready, true, JSON.stringify(r.checks));
    assert.equal(readinessResponse(r).status, 200);

    reachable = false;
    metrics.relayStreamState({}, "reconnecting");
    r = await checkReadiness({ config: valid, runtime: async () => runtime, metrics });
    assert.equal(r.ready, true, "reached once is enough: the dashboard shows the outage itself");
  });

  it("a relay that does not answer in time is not ready, and the probe does not hang", async () => {
    const r = await checkReadiness({ config: valid, runtime: async () => fakeRuntime(() => new Promise(() => {})), metrics: new HubbleLensMetrics(), waitMs: 50 });
    assert.equal(r.ready, false);
    assert.match(r.checks.relay.detail, /not reached yet: ServerStatus has not answered within 50 ms/);
  });

  it("liveness answers 200 without consulting anything", async () => {
    const res = livenessResponse();
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });
});
