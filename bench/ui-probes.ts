// bench:ui's in-page probes: what runs in the page (frames, long tasks) and how the driver reads it (counters, CDP metrics, the flow stream's bytes, heap after GC, the newest row's lag, a CPU profile).
import { writeFileSync } from "node:fs";
import type { Browser, CDPSession, Page } from "@playwright/test";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

declare global {
  interface Window {
    __bench?: { frames: number; longTasks: number; longTaskMs: number; longestTaskMs: number };
  }
}

/**
 * Runs in the page before any of its scripts. A string, not a function: tsx's transform wraps
 * named functions in a `__name` helper that does not exist in the page.
 */
const PROBES = `(() => {
  if (window.__bench) return;
  const b = { frames: 0, longTasks: 0, longTaskMs: 0, longestTaskMs: 0 };
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
})();`;

export type PageCounters = {
  now: number;
  frames: number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
  flowsHeld: number | null;
  mapNodes: number;
  mapEdges: number;
  domRows: number;
};

export async function readCounters(page: Page): Promise<PageCounters> {
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
      flowsHeld: rowcount ? Number(rowcount) - 1 : null,
      mapNodes: document.querySelectorAll("[data-node-id]").length,
      mapEdges: document.querySelectorAll("[data-edge-id]").length,
      domRows: document.querySelectorAll('[role="grid"] [role="row"][data-index]').length,
    };
  });
}

type CdpMetrics = Record<string, number>;
export async function cdpMetrics(cdp: CDPSession): Promise<CdpMetrics> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

export async function afterGc(cdp: CDPSession): Promise<{ heapMb: number; domNodes: number }> {
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const m = await cdpMetrics(cdp);
  return { heapMb: m.JSHeapUsedSize / 1024 / 1024, domNodes: m.Nodes };
}

/** The newest row's time (the table's first row, "HH:MM:SS.mmm" UTC) against the page's clock. */
export async function newestRowLagS(page: Page): Promise<number | null> {
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

/** The bytes of the page's flow stream (`/api/flows`) so far, counted by CDP's network events. */
export interface StreamBytes {
  bytes: number;
}

/**
 * A new 1440×900 page with the probes installed and CDP performance metrics on, at `url`; `log`
 * reports its page errors. `stream` counts the bytes the page receives on `/api/flows` (every event,
 * as the network delivers them; the page reads the stream with fetch, so nothing in the page sees them all).
 */
export async function openMeasuredPage(browser: Browser, url: string, log: (msg: string) => void): Promise<{ page: Page; cdp: CDPSession; stream: StreamBytes }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript({ content: PROBES });
  const page = await context.newPage();
  page.on("pageerror", (err) => log(`page error: ${err.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "timeTicks" });
  const stream: StreamBytes = { bytes: 0 };
  const flowRequests = new Set<string>();
  cdp.on("Network.requestWillBeSent", (e) => {
    if (new URL(e.request.url).pathname.endsWith("/api/flows")) flowRequests.add(e.requestId);
  });
  cdp.on("Network.dataReceived", (e) => {
    if (flowRequests.has(e.requestId)) stream.bytes += e.dataLength;
  });
  // No response bodies kept for DevTools: the stream runs for minutes.
  await cdp.send("Network.enable", { maxTotalBufferSize: 0, maxResourceBufferSize: 0 });
  await page.goto(url);
  await page.evaluate(PROBES); // about:blank runs no init script on the first navigation
  return { page, cdp, stream };
}

// ── CPU profile summary ──────────────────────────────────────────────────────────────────
type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number; children?: number[] };
export async function profile(cdp: CDPSession, seconds: number): Promise<string[]> {
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
