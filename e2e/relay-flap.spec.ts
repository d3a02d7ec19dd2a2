import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import type { StreamEvent } from "../lib/sse";
import { flowsOf, until, watchFlows } from "./http-probe";
import { ServerProcess } from "./server-process";

// A relay that keeps restarting: Hubble Lens follows an external demo relay (its own process, on
// a fixed port) that is stopped as a crash would and started again RESTARTS times, each run up for a random
// RUN_MIN_MS..RUN_MAX_MS. Every run must be reconnected to (its flows reach the viewer), every
// reconnect must tell the viewer how long the relay could not be followed, /api/status must count
// them, and no flow may reach the viewer twice (a restarted demo relay sends new uuids).
//
// The issue asks for 20 restarts at 1–15 s; that is ~3 minutes of test. By default this runs 8
// restarts at 1–4 s (the hard case: short runs), E2E_FLAP_RESTARTS / E2E_FLAP_MAX_MS scale it up.

const PORT = Number(process.env.E2E_FLAP_PORT ?? 3106);
const RELAY_PORT = Number(process.env.E2E_FLAP_RELAY_PORT ?? 3130);
const RESTARTS = Number(process.env.E2E_FLAP_RESTARTS ?? 8);
const RUN_MIN_MS = Number(process.env.E2E_FLAP_MIN_MS ?? 1_000);
const RUN_MAX_MS = Number(process.env.E2E_FLAP_MAX_MS ?? 4_000);

/** The relay process (e2e/flapping-relay.ts) and a way to send it a command and wait for its answer. */
class FlappingRelay {
  private out = "";
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on("data", (d: Buffer) => void (this.out += d.toString()));
  }

  static async start(): Promise<FlappingRelay> {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "e2e/flapping-relay.ts", "--port", String(RELAY_PORT)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const relay = new FlappingRelay(child);
    await relay.answer("listening", 120_000);
    return relay;
  }

  async restart(): Promise<void> {
    this.child.stdin!.write("stop\n");
    await this.answer("stopped");
    this.child.stdin!.write("start\n");
    await this.answer("listening");
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.stdin!.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  private async answer(word: string, timeoutMs = 30_000): Promise<void> {
    await until(() => this.child.exitCode !== null || this.out.includes(`${word}`), `the relay to say ${word}`, timeoutMs);
    if (this.child.exitCode !== null) throw new Error(`the flapping relay exited: ${this.out}`);
    this.out = this.out.slice(this.out.indexOf(word) + word.length);
  }
}

type Live = Extract<StreamEvent, { type: "relay" }>["state"] & { kind: "live" };

test("a flapping relay: every run reconnected to, each outage announced and counted, no duplicate", async ({ page }) => {
  test.setTimeout(180_000 + RESTARTS * (RUN_MAX_MS + 10_000));
  const dataDir = mkdtempSync(join(tmpdir(), "hubble-lens-flap-"));
  const relay = await FlappingRelay.start();
  const server = new ServerProcess(PORT, { HUBBLE_RELAY_ADDR: `127.0.0.1:${RELAY_PORT}`, HUBBLE_LENS_DATA_DIR: dataDir, HUBBLE_LENS_POLICY_SOURCE: "none" });
  await server.start();
  const viewer = watchFlows(server.base);
  const lives = () => viewer.events.filter((e): e is Extract<StreamEvent, { type: "relay" }> => e.type === "relay" && e.state.kind === "live");
  try {
    await until(() => flowsOf(viewer.events).length > 0, "the first flows");
    // A person watching the dashboard meanwhile.
    await page.goto(server.base);
    await expect(page.locator('[role="grid"] [role="row"][data-index]').first()).toBeVisible({ timeout: 30_000 });
    for (let run = 1; run <= RESTARTS; run++) {
      await relay.restart();
      const upMs = RUN_MIN_MS + Math.random() * (RUN_MAX_MS - RUN_MIN_MS);
      const started = Date.now();
      // The run must be caught while it is up: flows from it arrive before it is killed.
      const flowsAt = flowsOf(viewer.events).length;
      await until(() => lives().length === run + 1 && flowsOf(viewer.events).length > flowsAt, `run ${run} reconnected to`, upMs + 10_000);
      const left = upMs - (Date.now() - started);
      if (left > 0) await new Promise((r) => setTimeout(r, left)); // the run's random length, not a wait for a condition
    }
    // Each reconnect named the outage before it.
    const announced = lives()
      .slice(1)
      .map((e) => (e.state as Live).outage);
    expect(announced).toHaveLength(RESTARTS);
    for (const o of announced) {
      expect(o).toBeTruthy();
      expect(Date.parse(o!.to)).toBeGreaterThan(Date.parse(o!.from));
      expect(o!.seconds).toBeGreaterThanOrEqual(0);
    }
    // Flows arrived from every run: between one live event and the next there are flows.
    let segment = -1;
    const perRun: number[] = [];
    for (const e of viewer.events) {
      if (e.type === "relay" && e.state.kind === "live") perRun[++segment] = 0;
      else if (e.type === "flows" && segment >= 0) perRun[segment] += e.flows.length;
    }
    expect(perRun).toHaveLength(RESTARTS + 1);
    expect(
      perRun.filter((n) => n === 0),
      `flows per run: ${perRun.join(", ")}`,
    ).toEqual([]);
    // No flow twice.
    const uuids = flowsOf(viewer.events).map((f) => String(f.uuid));
    expect(uuids.length - new Set(uuids).size).toBe(0);
    // /api/status counts the outages.
    const status = (await (await fetch(`${server.base}/api/status`)).json()) as { relay: { outages: { count: number; totalSeconds: number } } };
    expect(status.relay.outages.count).toBe(RESTARTS);
    expect(status.relay.outages.totalSeconds).toBeGreaterThan(0);
    // The dashboard says the relay is back and that flows from the gap may be missing; its status
    // detail counts the outages.
    await expect(page.getByTestId("relay-outage")).toContainText(/could not be followed for [\d.]+ s .*flows from that time may be missing/);
    await page.getByTestId("relay-outage").getByRole("button", { name: "Dismiss the relay outage notice" }).click();
    await expect(page.getByTestId("relay-outage")).toHaveCount(0);
    await page.getByTitle("Relay status: click for details").click();
    await expect(page.getByRole("region", { name: "Relay" })).toContainText(new RegExp(`Outages${RESTARTS} since the server started`));
  } finally {
    viewer.stop();
    await relay.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
