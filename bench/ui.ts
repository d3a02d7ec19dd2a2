// npm run bench:ui — the dashboard in headless Chromium while the demo relay streams the `large`
// scenario (300 workloads, ~1,500 edges) at 2,000 flows/s. Not a test: it measures and prints.
//
// It starts the app (`node scripts/start.mjs`, which builds first when needed) on PORT 3200, opens
// about:blank with the same probes for a baseline (a page that does nothing but run its
// requestAnimationFrame loop, on the same machine at the same time), then the dashboard, and every
// --interval seconds samples: frames/s (a rAF counter in the page), long tasks (PerformanceObserver
// "longtask": count, total ms), main-thread busy time (CDP Performance.getMetrics TaskDuration,
// ScriptDuration, LayoutDuration + RecalcStyleDuration), JS heap used (JSHeapUsedSize), DOM
// nodes, the flows the table holds (the grid's aria-rowcount), the map's nodes and edges
// ([data-node-id] / [data-edge-id]) and the bytes of the flow stream (CDP network events). The heap is also read after a
// forced GC at the start and the end of the dashboard run.
//
// Options: --seconds 300 --rate 2000 --baseline-seconds 20 --interval 10 --port 3200
//          --scenario large --seed 7 --path / (the dashboard URL, e.g. "/?namespace=payments") --profile-seconds 0 (a CPU profile of the page at the end,
//          summarised by self time) --chromium /usr/bin/chromium
//          --app-nice 0 (the app's processes that much nicer than Chromium: on 2 cores the embedded
//          relay, the server and the browser share the CPU, as they never do in a cluster; a nicer app
//          shows what the page costs when it is not starved, at the price of the app's share)
//
// This file runs it: the options, the app, the sampling loop. The in-page probes are in
// ui-probes.ts, the user-action drivers in ui-actions.ts, the report writer in ui-report.ts.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type Browser, type CDPSession, chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../e2e/chromium";
import { parsePrometheusText, sampleValue } from "../lib/prometheus-text";
import { interactions } from "./ui-actions";
import { afterGc, cdpMetrics, newestRowLagS, openMeasuredPage, profile, readCounters, type StreamBytes } from "./ui-probes";
import { type Sample, uiReport } from "./ui-report";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "300" },
    rate: { type: "string", default: "2000" },
    "baseline-seconds": { type: "string", default: "20" },
    interval: { type: "string", default: "10" },
    port: { type: "string", default: "3200" },
    scenario: { type: "string", default: "large" },
    seed: { type: "string", default: "7" },
    path: { type: "string", default: "/" },
    "profile-seconds": { type: "string", default: "0" },
    chromium: { type: "string", default: CHROMIUM_PATH },
    "app-nice": { type: "string", default: "0" },
  },
});
const SECONDS = Number(values.seconds);
const BASELINE_SECONDS = Number(values["baseline-seconds"]);
const INTERVAL = Number(values.interval);
const PORT = Number(values.port);
const PROFILE_SECONDS = Number(values["profile-seconds"]);
const APP_NICE = Number(values["app-nice"]);
if (!Number.isInteger(APP_NICE) || APP_NICE < 0 || APP_NICE > 19) throw new Error(`--app-nice must be an integer 0–19, got ${values["app-nice"]}`);
const BASE_URL = `http://127.0.0.1:${PORT}`;

const log = (msg: string) => process.stderr.write(`bench:ui ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── the app ──────────────────────────────────────────────────────────────────────────────
let app: ChildProcess | undefined;
let browser: Browser | undefined;

function startApp(): ChildProcess {
  // Its own process group: start.mjs runs `next build` / `next start` as children, and the whole
  // group is stopped at the end.
  const [command, args] = APP_NICE > 0 ? ["nice", ["-n", String(APP_NICE), process.execPath, "scripts/start.mjs"]] : [process.execPath, ["scripts/start.mjs"]];
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(PORT),
      HUBBLE_LENS_DEMO_SCENARIO: values.scenario,
      HUBBLE_LENS_DEMO_RATE: values.rate,
      HUBBLE_LENS_DEMO_SEED: values.seed,
      HUBBLE_LENS_LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  const forward = (d: Buffer) => {
    for (const line of d.toString().split("\n")) if (line.trim()) log(`[app] ${line}`);
  };
  child.stdout!.on("data", forward);
  child.stderr!.on("data", forward);
  return child;
}

async function waitForApp(child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`the app exited with ${exited} before it was ready`);
    try {
      const res = await fetch(`${BASE_URL}/api/status`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(1000);
  }
  throw new Error(`the app did not answer ${BASE_URL}/api/status within ${timeoutMs / 1000} s`);
}

async function stopApp(): Promise<void> {
  const child = app;
  app = undefined;
  if (!child?.pid || child.exitCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, 10_000);
  await gone;
  clearTimeout(timer);
}

async function cleanup(): Promise<void> {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  await stopApp();
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function serverStatus(): Promise<{ rate: number; seen: number } | undefined> {
  try {
    const res = await fetch(`${BASE_URL}/api/status`, { signal: AbortSignal.timeout(2000) });
    const s = (await res.json()) as { flows?: { rate?: number; seenFlows?: number } };
    return { rate: s.flows?.rate ?? 0, seen: s.flows?.seenFlows ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * The server's relay figures from `/metrics`: the relay's own delay as the server sees it
 * (`hubble_lens_relay_flow_delay_seconds`, s), the flows it received on its following streams
 * and the events the relay reported lost (running totals).
 */
async function relayMetrics(): Promise<{ delayS: number | undefined; received: number | undefined; lost: number } | undefined> {
  try {
    const res = await fetch(`${BASE_URL}/metrics`, { signal: AbortSignal.timeout(2000) });
    const samples = parsePrometheusText(await res.text());
    let lost = 0;
    for (const x of samples.get("hubble_lens_relay_lost_events_total")?.samples ?? []) lost += x.value;
    return { delayS: sampleValue(samples, "hubble_lens_relay_flow_delay_seconds"), received: sampleValue(samples, "hubble_lens_relay_flows_received_total"), lost };
  } catch {
    return undefined;
  }
}

/** Samples `page` every INTERVAL seconds for `seconds`; t counts from the first counter read. */
async function measure(page: Page, cdp: CDPSession, stream: StreamBytes, seconds: number, label: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  let prev = await readCounters(page);
  let prevStreamBytes = stream.bytes;
  let prevM = await cdpMetrics(cdp);
  let prevRelay: Awaited<ReturnType<typeof relayMetrics>>;
  const t0 = prev.now;
  const steps = Math.max(1, Math.round(seconds / INTERVAL));
  for (let i = 1; i <= steps; i++) {
    // Sleep until the next sample time (measured in the page's clock, so sample costs don't drift).
    const target = t0 + i * INTERVAL * 1000;
    const now = (await page.evaluate(() => performance.now())) as number;
    if (target > now) await sleep(target - now);
    const cur = await readCounters(page);
    const streamBytes = stream.bytes;
    const m = await cdpMetrics(cdp);
    const status = label === "dashboard" ? await serverStatus() : undefined;
    const newestLagS = label === "dashboard" ? await newestRowLagS(page) : null;
    const relay = label === "dashboard" ? await relayMetrics() : undefined;
    const dtS = (cur.now - prev.now) / 1000;
    const dTask = (m.TaskDuration ?? 0) - (prevM.TaskDuration ?? 0);
    const s: Sample = {
      t: Math.round((cur.now - t0) / 1000),
      fps: (cur.frames - prev.frames) / dtS,
      longTasks: cur.longTasks - prev.longTasks,
      longTaskMs: cur.longTaskMs - prev.longTaskMs,
      busyPct: (100 * dTask) / dtS,
      scriptPct: (100 * ((m.ScriptDuration ?? 0) - (prevM.ScriptDuration ?? 0))) / dtS,
      layoutPct: (100 * ((m.LayoutDuration ?? 0) + (m.RecalcStyleDuration ?? 0) - (prevM.LayoutDuration ?? 0) - (prevM.RecalcStyleDuration ?? 0))) / dtS,
      heapMb: (m.JSHeapUsedSize ?? 0) / 1024 / 1024,
      domNodes: m.Nodes ?? 0,
      flowsHeld: cur.flowsHeld,
      mapNodes: cur.mapNodes,
      mapEdges: cur.mapEdges,
      domRows: cur.domRows,
      sseKbPerS: (streamBytes - prevStreamBytes) / 1024 / dtS,
      serverRate: status?.rate,
      newestLagS,
      relayDelayS: relay?.delayS,
      receivedRate: relay?.received !== undefined && prevRelay?.received !== undefined ? (relay.received - prevRelay.received) / dtS : undefined,
      lostRate: relay && prevRelay ? (relay.lost - prevRelay.lost) / dtS : undefined,
    };
    prevRelay = relay;
    samples.push(s);
    log(
      `${label} t=${s.t}s fps=${s.fps.toFixed(1)} longtasks=${s.longTasks} (${Math.round(s.longTaskMs)} ms) busy=${s.busyPct.toFixed(0)}% ` +
        `heap=${s.heapMb.toFixed(1)}MB flows=${s.flowsHeld ?? "-"} nodes=${s.mapNodes} edges=${s.mapEdges} sse=${s.sseKbPerS.toFixed(0)}KB/s`,
    );
    prev = cur;
    prevStreamBytes = streamBytes;
    prevM = m;
  }
  return samples;
}

function uptime(): string {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}`;
  }
}

async function main(): Promise<void> {
  const startedUptime = uptime();
  log(`machine: ${startedUptime}`);
  log(`starting the app on ${BASE_URL} (scenario ${values.scenario}, ${values.rate} flows/s, seed ${values.seed}); builds first if needed`);
  app = startApp();
  await waitForApp(app, 900_000);
  log("app ready");
  browser = await chromium.launch({ executablePath: values.chromium, headless: true, args: CHROMIUM_ARGS });
  const browserVersion = browser.version();

  // Baseline: a page doing nothing but its rAF loop, while the server streams to nobody.
  const blank = await openMeasuredPage(browser, "about:blank", log);
  const baseline = await measure(blank.page, blank.cdp, blank.stream, BASELINE_SECONDS, "baseline");
  await blank.page.context().close();

  // The dashboard, all namespaces, live.
  const dash = await openMeasuredPage(browser, `${BASE_URL}${values.path}`, log);
  await dash.page.locator('[role="grid"] [role="row"][data-index]').first().waitFor({ timeout: 60_000 });
  const gcStart = await afterGc(dash.cdp);
  log(`first rows shown; after GC: heap ${gcStart.heapMb.toFixed(1)} MB, ${gcStart.domNodes} DOM nodes`);
  const samples = await measure(dash.page, dash.cdp, dash.stream, SECONDS, "dashboard");
  const acts = await interactions(dash.page, log);
  const profileLines = PROFILE_SECONDS > 0 ? await profile(dash.cdp, PROFILE_SECONDS) : [];
  const gcEnd = await afterGc(dash.cdp);
  const endUptime = uptime();
  await cleanup();
  process.stdout.write(
    uiReport({
      args: process.argv.slice(2),
      values,
      baselineSeconds: BASELINE_SECONDS,
      browserVersion,
      startedUptime,
      endUptime,
      baseline,
      samples,
      gcStart,
      gcEnd,
      acts,
      profileLines,
    }),
  );
}

main().catch(async (err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
});
