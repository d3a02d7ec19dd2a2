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
// ([data-node-id] / [data-edge-id]) and the SSE bytes received. The heap is also read after a
// forced GC at the start and the end of the dashboard run.
//
// Options: --seconds 300 --rate 2000 --baseline-seconds 20 --interval 10 --port 3200
//          --scenario large --seed 7 --path / (the dashboard URL, e.g. "/?namespace=payments") --profile-seconds 0 (a CPU profile of the page at the end,
//          summarised by self time) --chromium /usr/bin/chromium
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type Browser, type CDPSession, chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../e2e/chromium";
import { parsePrometheusText, sampleValue } from "../lib/prometheus-text";

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
  },
});
const SECONDS = Number(values.seconds);
const BASELINE_SECONDS = Number(values["baseline-seconds"]);
const INTERVAL = Number(values.interval);
const PORT = Number(values.port);
const PROFILE_SECONDS = Number(values["profile-seconds"]);
const BASE_URL = `http://127.0.0.1:${PORT}`;

const log = (msg: string) => process.stderr.write(`bench:ui ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── the app ──────────────────────────────────────────────────────────────────────────────
let app: ChildProcess | undefined;
let browser: Browser | undefined;

function startApp(): ChildProcess {
  // Its own process group: start.mjs runs `next build` / `next start` as children, and the whole
  // group is stopped at the end.
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
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

/** The relay's own delay as the server sees it (`hubble_lens_relay_flow_delay_seconds`), in seconds. */
async function relayDelayS(): Promise<number | undefined> {
  try {
    const res = await fetch(`${BASE_URL}/metrics`, { signal: AbortSignal.timeout(2000) });
    return sampleValue(parsePrometheusText(await res.text()), "hubble_lens_relay_flow_delay_seconds");
  } catch {
    return undefined;
  }
}

// ── in-page probes ───────────────────────────────────────────────────────────────────────
declare global {
  interface Window {
    __bench?: { frames: number; longTasks: number; longTaskMs: number; longestTaskMs: number; sseBytes: number; sseEvents: number };
  }
}

/**
 * Runs in the page before any of its scripts. A string, not a function: tsx's transform wraps
 * named functions in a `__name` helper that does not exist in the page.
 */
const PROBES = `(() => {
  if (window.__bench) return;
  const b = { frames: 0, longTasks: 0, longTaskMs: 0, longestTaskMs: 0, sseBytes: 0, sseEvents: 0 };
  window.__bench = b;
  const tick = () => { b.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        b.longTasks++;
        b.longTaskMs += e.duration;
        b.longestTaskMs = Math.max(b.longestTaskMs, e.duration);
      }
    }).observe({ type: "longtask", buffered: true });
  } catch {}
  // The SSE payload the page receives: bytes of every "flows" event's data, not parsed here.
  if (typeof EventSource === "function") {
    const add = EventSource.prototype.addEventListener;
    EventSource.prototype.addEventListener = function (type, listener, options) {
      if (type === "flows" && typeof listener === "function") {
        const inner = listener;
        return add.call(this, type, function (e) {
          b.sseEvents++;
          b.sseBytes += typeof e.data === "string" ? e.data.length : 0;
          return inner.call(this, e);
        }, options);
      }
      return add.call(this, type, listener, options);
    };
  }
})();`;

type PageCounters = {
  now: number;
  frames: number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
  sseBytes: number;
  sseEvents: number;
  flowsHeld: number | null;
  mapNodes: number;
  mapEdges: number;
  domRows: number;
};

async function readCounters(page: Page): Promise<PageCounters> {
  return page.evaluate(() => {
    const b = window.__bench!;
    const grid = document.querySelector('[role="grid"]');
    const rowcount = grid?.getAttribute("aria-rowcount");
    return {
      now: performance.now(),
      frames: b.frames,
      longTasks: b.longTasks,
      longTaskMs: b.longTaskMs,
      longestTaskMs: b.longestTaskMs,
      sseBytes: b.sseBytes,
      sseEvents: b.sseEvents,
      flowsHeld: rowcount ? Number(rowcount) - 1 : null,
      mapNodes: document.querySelectorAll("[data-node-id]").length,
      mapEdges: document.querySelectorAll("[data-edge-id]").length,
      domRows: document.querySelectorAll('[role="grid"] [role="row"][data-index]').length,
    };
  });
}

type CdpMetrics = Record<string, number>;
async function cdpMetrics(cdp: CDPSession): Promise<CdpMetrics> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

async function afterGc(cdp: CDPSession): Promise<{ heapMb: number; domNodes: number }> {
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const m = await cdpMetrics(cdp);
  return { heapMb: m.JSHeapUsedSize / 1024 / 1024, domNodes: m.Nodes };
}

type Sample = {
  t: number;
  fps: number;
  longTasks: number;
  longTaskMs: number;
  busyPct: number;
  scriptPct: number;
  layoutPct: number;
  heapMb: number;
  domNodes: number;
  flowsHeld: number | null;
  mapNodes: number;
  mapEdges: number;
  domRows: number;
  sseKbPerS: number;
  serverRate: number | undefined;
  /** How far the newest row of the table is behind the clock, in seconds (null without rows). */
  newestLagS: number | null;
  /** How far behind the clock the relay's flows reached the server (the relay's part of newestLagS). */
  relayDelayS: number | undefined;
};

/** The newest row's time (the table's first row, "HH:MM:SS.mmm" UTC) against the page's clock. */
async function newestRowLagS(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const cell = document.querySelector('[role="grid"] [role="row"][data-index="0"] [role="gridcell"]');
    const m = /(\d\d):(\d\d):(\d\d)\.(\d{3})/.exec(cell?.textContent ?? "");
    if (!m) return null;
    const now = new Date();
    const t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
    let lag = (now.getTime() - t) / 1000;
    if (lag < -43_200) lag += 86_400; // the row is from before midnight UTC
    return lag;
  });
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN;
};

/**
 * What a person does: click rows (→ the drawer shows the flow's raw JSON) and open the Drops
 * view, timed from the click to the content on screen, as seen from the test driver (which adds a
 * few ms of its own).
 */
/**
 * Times, inside the page, from the pointer going down to the first frame whose DOM matches
 * `selector` (Playwright's own round trips are not counted); Infinity when nothing in 10 s.
 */
async function timedClick(page: Page, x: number, y: number, selector: string, text?: RegExp): Promise<number> {
  // A string, not a function: tsx would wrap the inner arrow functions in a helper the page lacks.
  await page.evaluate(`(() => {
    const selector = ${JSON.stringify(selector)};
    const match = ${text ? `new RegExp(${JSON.stringify(text.source)})` : "null"};
    window.__opened = new Promise((resolve) => {
      const give = setTimeout(() => resolve(Infinity), 15000);
      document.addEventListener("pointerdown", () => {
        clearTimeout(give);
        const t0 = performance.now();
        const check = () => {
          const el = document.querySelector(selector);
          if (el && (!match || match.test(el.textContent || ""))) resolve(performance.now() - t0);
          else if (performance.now() - t0 > 10000) resolve(Infinity);
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }, { capture: true, once: true });
    });
  })()`);
  await page.mouse.click(x, y);
  return page.evaluate("window.__opened") as Promise<number>;
}

async function interactions(page: Page): Promise<{ clickMs: number[]; dropsMs: number[] }> {
  const clickMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    // Where a person clicks: the row on screen at that moment, whichever flow it shows (rows move
    // while the table follows), so a mouse click at the row's place, not a click on one element.
    // Rows are replaced as flows arrive: a box read while its element is swapped comes back null,
    // which is the driver's race, not something a person sees; read again.
    let box: { x: number; y: number; width: number; height: number } | null = null;
    for (let attempt = 0; attempt < 20 && !box; attempt++) {
      box = await page
        .locator(`[role="grid"] [role="row"][data-index="${3 + (i % 6)}"]`)
        .boundingBox({ timeout: 10_000 })
        .catch(() => null);
    }
    if (!box) {
      clickMs.push(Infinity); // no row where one should be
      continue;
    }
    const ms = await timedClick(page, box.x + 40, box.y + box.height / 2, '[aria-label="Copy raw JSON line"]');
    clickMs.push(ms);
    if (ms === Infinity)
      log(
        `row click ${i}: no details within 10 s (${page.url()}); drawer says: ${(
          await page
            .locator("aside")
            .first()
            .textContent()
            .catch(() => "")
        )?.slice(0, 200)}`,
      );
    await page.keyboard.press("Escape");
    // Back to following the newest flows, as a person reading the live table would.
    await page
      .getByRole("button", { name: /^[\d,]+ new flows?$/ })
      .click({ timeout: 2000 })
      .catch(() => undefined);
  }
  const dropsMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const button = page.getByRole("button", { name: /^Open the Drops view/ });
    const box = await button.boundingBox({ timeout: 10_000 }).catch(() => null);
    if (!box) {
      dropsMs.push(Infinity);
      continue;
    }
    dropsMs.push(await timedClick(page, box.x + box.width / 2, box.y + box.height / 2, '[data-testid="drops-view"]', /dropped or audited/));
    await page.keyboard.press("Escape");
  }
  return { clickMs, dropsMs };
}

/** Samples `page` every INTERVAL seconds for `seconds`; t counts from the first counter read. */
async function measure(page: Page, cdp: CDPSession, seconds: number, label: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  let prev = await readCounters(page);
  let prevM = await cdpMetrics(cdp);
  const t0 = prev.now;
  const steps = Math.max(1, Math.round(seconds / INTERVAL));
  for (let i = 1; i <= steps; i++) {
    // Sleep until the next sample time (measured in the page's clock, so sample costs don't drift).
    const target = t0 + i * INTERVAL * 1000;
    const now = (await page.evaluate(() => performance.now())) as number;
    if (target > now) await sleep(target - now);
    const cur = await readCounters(page);
    const m = await cdpMetrics(cdp);
    const status = label === "dashboard" ? await serverStatus() : undefined;
    const newestLagS = label === "dashboard" ? await newestRowLagS(page) : null;
    const relayDelay = label === "dashboard" ? await relayDelayS() : undefined;
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
      sseKbPerS: (cur.sseBytes - prev.sseBytes) / 1024 / dtS,
      serverRate: status?.rate,
      newestLagS,
      relayDelayS: relayDelay,
    };
    samples.push(s);
    log(
      `${label} t=${s.t}s fps=${s.fps.toFixed(1)} longtasks=${s.longTasks} (${Math.round(s.longTaskMs)} ms) busy=${s.busyPct.toFixed(0)}% ` +
        `heap=${s.heapMb.toFixed(1)}MB flows=${s.flowsHeld ?? "-"} nodes=${s.mapNodes} edges=${s.mapEdges} sse=${s.sseKbPerS.toFixed(0)}KB/s`,
    );
    prev = cur;
    prevM = m;
  }
  return samples;
}

async function openMeasuredPage(url: string): Promise<{ page: Page; cdp: CDPSession }> {
  const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript({ content: PROBES });
  const page = await context.newPage();
  page.on("pageerror", (err) => log(`page error: ${err.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "timeTicks" });
  await page.goto(url);
  await page.evaluate(PROBES); // about:blank runs no init script on the first navigation
  return { page, cdp };
}

// ── CPU profile summary ──────────────────────────────────────────────────────────────────
type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number; children?: number[] };
async function profile(cdp: CDPSession, seconds: number): Promise<string[]> {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
  await cdp.send("Profiler.start");
  await sleep(seconds * 1000);
  const { profile: p } = (await cdp.send("Profiler.stop")) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  };
  const file = `/tmp/bench-ui-${Date.now()}.cpuprofile`;
  writeFileSync(file, JSON.stringify(p));
  const byNode = new Map<number, number>();
  p.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  for (const n of p.nodes) {
    const us = byNode.get(n.id) ?? 0;
    if (!us) continue;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/_next\//, "_next/")}:${f.lineNumber + 1}:${f.columnNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
  }
  const total = p.endTime - p.startTime || 1;
  const lines = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([k, us]) => `| ${((100 * us) / total).toFixed(1)} % | ${k.replace(/\|/g, "\\|")} |`);
  return [`CPU profile of the page, ${seconds} s (${file}); self time as a share of wall time:`, "", "| self | function |", "|---:|---|", ...lines];
}

// ── report ───────────────────────────────────────────────────────────────────────────────
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return den ? num / den : NaN;
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "—");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");

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
  const blank = await openMeasuredPage("about:blank");
  const baseline = await measure(blank.page, blank.cdp, BASELINE_SECONDS, "baseline");
  await blank.page.context().close();
  const baseFps = mean(baseline.map((s) => s.fps));

  // The dashboard, all namespaces, live.
  const dash = await openMeasuredPage(`${BASE_URL}${values.path}`);
  await dash.page.locator('[role="grid"] [role="row"][data-index]').first().waitFor({ timeout: 60_000 });
  const gcStart = await afterGc(dash.cdp);
  log(`first rows shown; after GC: heap ${gcStart.heapMb.toFixed(1)} MB, ${gcStart.domNodes} DOM nodes`);
  const samples = await measure(dash.page, dash.cdp, SECONDS, "dashboard");
  const acts = await interactions(dash.page);
  const profileLines = PROFILE_SECONDS > 0 ? await profile(dash.cdp, PROFILE_SECONDS) : [];
  const gcEnd = await afterGc(dash.cdp);
  const endUptime = uptime();
  const last = samples[samples.length - 1];
  await cleanup();

  // ── print ──
  const out: string[] = [];
  out.push(`## bench:ui — ${new Date().toISOString()}`, "");
  out.push(
    `\`npm run bench:ui -- ${process.argv.slice(2).join(" ") || "(defaults)"}\` (scenario ${values.scenario}, seed ${values.seed}, page ${values.path}, Chromium ${browserVersion}, 1440×900, headless)`,
    "",
  );
  out.push(`- machine at start: \`${startedUptime}\``, `- machine at end: \`${endUptime}\``, "");
  out.push(
    `Baseline (about:blank with the same probes, ${BASELINE_SECONDS} s): ${f1(baseFps)} frames/s, ${baseline.reduce((a, s) => a + s.longTasks, 0)} long tasks, main thread busy ${f1(mean(baseline.map((s) => s.busyPct)))} %.`,
    "",
  );
  out.push(
    "| t (s) | fps | fps ÷ baseline | long tasks | long-task ms | main thread busy % (script / layout+style) | heap MB | DOM nodes | flows held | map nodes | map edges | SSE KB/s | server flows/s | newest row behind s (relay's part) |",
  );
  out.push("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const s of samples) {
    out.push(
      `| ${s.t} | ${f1(s.fps)} | ${f2(s.fps / baseFps)} | ${s.longTasks} | ${Math.round(s.longTaskMs)} | ${Math.round(s.busyPct)} (${Math.round(s.scriptPct)} / ${Math.round(s.layoutPct)}) | ${f1(s.heapMb)} | ${Math.round(s.domNodes)} | ${s.flowsHeld ?? "—"} | ${s.mapNodes} | ${s.mapEdges} | ${Math.round(s.sseKbPerS)} | ${s.serverRate === undefined ? "—" : Math.round(s.serverRate)} | ${s.newestLagS === null ? "—" : f1(s.newestLagS)} (${s.relayDelayS === undefined ? "—" : f1(s.relayDelayS)}) |`,
    );
  }
  const fpsAll = samples.map((s) => s.fps);
  const full = samples.filter((s) => s.flowsHeld !== null && s.flowsHeld >= 0.99 * Math.max(...samples.map((x) => x.flowsHeld ?? 0)));
  const steady = full.length >= 3 ? full : samples.slice(Math.floor(samples.length / 2));
  const heapSlope = slope(
    samples.map((s) => s.t / 60),
    samples.map((s) => s.heapMb),
  );
  const steadySlope = slope(
    steady.map((s) => s.t / 60),
    steady.map((s) => s.heapMb),
  );
  const totalLong = samples.reduce((a, s) => a + s.longTasks, 0);
  const totalLongMs = samples.reduce((a, s) => a + s.longTaskMs, 0);
  const meanFps = mean(fpsAll);
  const minFps = Math.min(...fpsAll);
  out.push("");
  out.push(`**Summary** (${samples.length} samples over ${last.t} s):`, "");
  out.push(
    `- frames/s: mean ${f1(meanFps)} (${f2(meanFps / baseFps)} × baseline), min ${f1(minFps)} (${f2(minFps / baseFps)} ×); target ≥ 30: ${minFps >= 30 ? "met in every sample" : meanFps >= 30 ? `met on average, not in ${fpsAll.filter((x) => x < 30).length} of ${fpsAll.length} samples` : "NOT met"}`,
  );
  out.push(
    `- long tasks: ${totalLong} (${Math.round(totalLongMs)} ms, ${f1((100 * totalLongMs) / 1000 / Math.max(1, last.t))} % of wall time), mean main thread busy ${f1(mean(samples.map((s) => s.busyPct)))} %`,
  );
  out.push(
    `- JS heap used: ${f1(samples[0].heapMb)} → ${f1(last.heapMb)} MB (slope ${f2(heapSlope)} MB/min over the run; ${f2(steadySlope)} MB/min over the ${steady.length} samples from t=${steady[0]?.t ?? "—"} s${full.length >= 3 ? ", once the table held its maximum" : ", the second half"}); after a forced GC ${f1(gcStart.heapMb)} MB at the first rows → ${f1(gcEnd.heapMb)} MB at the end`,
  );
  out.push(
    `- flows held at the end: ${last.flowsHeld ?? "—"}; map ${last.mapNodes} nodes, ${last.mapEdges} edges; DOM nodes (live and not yet collected) ${Math.round(samples[0].domNodes)} → ${Math.round(last.domNodes)}, after a forced GC ${gcStart.domNodes} at the first rows → ${gcEnd.domNodes} at the end`,
  );
  const lags = samples.flatMap((s) => (s.newestLagS === null ? [] : [s.newestLagS]));
  const relayLags = samples.flatMap((s) => (s.relayDelayS === undefined ? [] : [s.relayDelayS]));
  // The dashboard's own part: the row's lag less the relay's at the same sample.
  const ownLags = samples.flatMap((s) => (s.newestLagS === null || s.relayDelayS === undefined ? [] : [s.newestLagS - s.relayDelayS]));
  out.push(
    `- newest row behind the clock: median ${f1(percentile(lags, 0.5))} s, max ${f1(Math.max(...lags))} s (target ≤ 2 s); ` +
      `the relay's flows reached the server ${f1(percentile(relayLags, 0.5))} s behind (median), so the dashboard's own part is median ${f1(percentile(ownLags, 0.5))} s, max ${f1(Math.max(...ownLags))} s`,
  );
  out.push(
    `- row click → details (pointer down → first frame showing them, timed in the page): p50 ${Math.round(percentile(acts.clickMs, 0.5))} ms, p95 ${Math.round(percentile(acts.clickMs, 0.95))} ms over ${acts.clickMs.length} clicks (target p95 ≤ 150 ms)`,
  );
  out.push(
    `- Drops view open (pointer down → first frame): p50 ${Math.round(percentile(acts.dropsMs, 0.5))} ms, max ${Math.round(Math.max(...acts.dropsMs))} ms over ${acts.dropsMs.length} opens (target ≤ 300 ms)`,
  );
  out.push(`- median frame rate ÷ baseline: ${f2(percentile(fpsAll, 0.5) / baseFps)} (target ≥ 0.8); heap at the end ${f1(last.heapMb)} MB (target < 300 MB, flat)`);
  if (profileLines.length) out.push("", ...profileLines);
  process.stdout.write(out.join("\n") + "\n");
}

main().catch(async (err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
});
