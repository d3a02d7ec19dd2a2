import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { parsePrometheusText, sampleValue, type MetricFamily } from "../lib/prometheus-text";
import { ServerProcess } from "./server-process";

// The probes and /metrics of the production server, over HTTP: what a kubelet and Prometheus see.
// Good state: the shared demo server (E2E_PORT). Bad state: a server of this spec's own whose relay
// is not there yet (E2E_OPS_PORT), then a real demo relay started on that address (E2E_OPS_RELAY_PORT),
// which turns it ready without a restart.

const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100)}`;
const OPS_PORT = Number(process.env.E2E_OPS_PORT ?? 3104);
const RELAY_PORT = Number(process.env.E2E_OPS_RELAY_PORT ?? 3105);

async function scrape(base: string): Promise<Map<string, MetricFamily>> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await r.text());
}

const value = (f: Map<string, MetricFamily>, name: string, labels?: Record<string, string>) => sampleValue(f, name, labels) ?? NaN;

test.describe("probes and metrics of the demo server", () => {
  test("/healthz and /readyz answer 200; the relay was reached", async () => {
    const health = await fetch(`${BASE}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    await expect.poll(async () => (await fetch(`${BASE}/readyz`)).status, { message: "the demo relay answers, so the server gets ready" }).toBe(200);
    const ready = await (await fetch(`${BASE}/readyz`)).json();
    expect(ready.status).toBe("ready");
    expect(ready.checks.config.ok).toBe(true);
    expect(ready.checks.store.detail).toMatch(/sqlite store open, schema migrated/);
    expect(ready.checks.relay.detail).toMatch(/first reached at/);
    expect(value(await scrape(BASE), "hubble_lens_relay_up")).toBe(1);
  });

  test("a live /api/flows stream moves the counters; its subscriber goes when it closes", async () => {
    const before = await scrape(BASE);
    const subscribersBefore = value(before, "hubble_lens_sse_subscribers");
    const abort = new AbortController();
    const res = await fetch(`${BASE}/api/flows`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    while (!/event: flows\n/.test(text)) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(chunk);
    }
    expect(text.startsWith("event: ready\n")).toBe(true);
    await expect
      .poll(async () => {
        const now = await scrape(BASE);
        return {
          subscribers: value(now, "hubble_lens_sse_subscribers") > subscribersBefore,
          flows: value(now, "hubble_lens_relay_flows_received_total") > value(before, "hubble_lens_relay_flows_received_total"),
          bytes: value(now, "hubble_lens_sse_bytes_total") >= value(before, "hubble_lens_sse_bytes_total") + text.length,
          upstreams: value(now, "hubble_lens_upstream_streams") >= 1,
          live: value(now, "hubble_lens_relay_streams", { state: "live" }) >= 1,
        };
      })
      .toEqual({ subscribers: true, flows: true, bytes: true, upstreams: true, live: true });
    abort.abort();
    await expect.poll(async () => value(await scrape(BASE), "hubble_lens_sse_subscribers")).toBe(subscribersBefore);
  });

  test("explain requests land in the latency histogram; investigation saves count by result", async () => {
    const before = await scrape(BASE);
    const explain = await fetch(`${BASE}/api/explain`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(explain.status).toBe(400);
    const save = await fetch(`${BASE}/api/investigations`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"title":""}' });
    expect(save.status).toBe(400);
    const after = await scrape(BASE);
    expect(value(after, "hubble_lens_explain_duration_seconds_count")).toBe(value(before, "hubble_lens_explain_duration_seconds_count") + 1);
    expect(value(after, "hubble_lens_explain_duration_seconds_bucket", { le: "+Inf" })).toBe(value(after, "hubble_lens_explain_duration_seconds_count"));
    expect(value(after, "hubble_lens_investigation_saves_total", { result: "rejected" })).toBe(value(before, "hubble_lens_investigation_saves_total", { result: "rejected" }) + 1);
    expect(value(after, "hubble_lens_auth_failures_total")).toBe(0);
  });
});

test.describe("a server whose relay is not there yet", () => {
  let server: ServerProcess;
  let relay: ChildProcess | undefined;
  let dataDir: string;

  test.beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-e2e-ops-"));
    server = new ServerProcess(OPS_PORT, {
      HUBBLE_RELAY_ADDR: `127.0.0.1:${RELAY_PORT}`,
      HUBBLE_DIAL_TIMEOUT: "1s",
      HUBBLE_LENS_POLICY_SOURCE: "none",
      HUBBLE_LENS_DATA_DIR: dataDir,
    });
    await server.start();
  });

  test.afterAll(async () => {
    await server.stop();
    if (relay && relay.exitCode === null) {
      const exited = new Promise((r) => relay!.once("exit", r));
      relay.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("alive but not ready, with the reason; ready once a relay answers on its address", async () => {
    test.setTimeout(90_000);
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.base}/readyz`);
    expect(notReady.status).toBe(503);
    const body = await notReady.json();
    expect(body.error.code).toBe("not-ready");
    expect(body.error.message).toContain(`relay: relay 127.0.0.1:${RELAY_PORT} not reached yet`);
    expect(body.checks.config.ok).toBe(true);
    expect(body.checks.store.ok).toBe(true);
    expect(value(await scrape(server.base), "hubble_lens_relay_up")).toBe(0);

    // A real demo relay (the same gRPC server Hubble clients use) comes up on the configured address.
    relay = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "server/demo-relay/cli.ts", "--port", String(RELAY_PORT), "--rate", "50"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await expect.poll(async () => (await fetch(`${server.base}/readyz`)).status, { timeout: 60_000 }).toBe(200);
    expect(value(await scrape(server.base), "hubble_lens_relay_up")).toBe(1);
  });
});
