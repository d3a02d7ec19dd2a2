// A bare page reading a running server's flow stream, two ways: Chromium's own EventSource ("es")
// or fetch with a minimal SSE parser ("fetch"), each JSON-parsing the flows, map and drops events.
// Prints the page's long tasks as a share of wall time: what reading the stream costs the page,
// apart from everything the dashboard does with it (docs/benchmarks.md, bench:ui, session 11).
//
//   node --conditions=react-server --import tsx bench/stream-readers.ts http://127.0.0.1:3300/api/flows es 30
import { chromium } from "@playwright/test";

/** Runs in the page. A string, not a function: tsx wraps named functions in a helper the page lacks. */
const READER = `async ({ url, mode, secs }) => {
  const long = [];
  let events = 0, bytes = 0;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); }).observe({ type: "longtask" });
  const onData = (data) => { events++; bytes += data.length; JSON.parse(data); };
  const t0 = performance.now();
  if (mode === "es") {
    const es = new EventSource(url);
    for (const name of ["flows", "map", "drops"]) es.addEventListener(name, (e) => onData(e.data));
    await new Promise((r) => setTimeout(r, secs * 1000));
    es.close();
  } else {
    const res = await fetch(url);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    while (performance.now() < t0 + secs * 1000) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\\n\\n")) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!/^event: (flows|map|drops)$/m.test(msg)) continue;
        const d = msg.indexOf("\\ndata:");
        if (d >= 0) onData(msg.slice(d + 6));
      }
    }
    await reader.cancel();
  }
  const wall = performance.now() - t0;
  return { events, megabytes: bytes / 1e6, longTasks: long.length, longTaskPct: (100 * long.reduce((a, b) => a + b, 0)) / wall };
}`;

async function main(): Promise<void> {
  const [url, mode = "es", secs = "30"] = process.argv.slice(2);
  if (!url || !["es", "fetch"].includes(mode)) {
    console.error("usage: bench/stream-readers.ts URL-of-/api/flows es|fetch [SECONDS]");
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(new URL("/healthz", url).toString());
    const result = await page.evaluate(`(${READER})(${JSON.stringify({ url, mode, secs: Number(secs) })})`);
    console.log(mode, JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

void main();
