// The 50,000-flow investigation save of bench:abuse without the HTTP server: the route's handler on
// a real SQLite store, fed 64 KB chunks, with the event loop watched meanwhile (the longest delay,
// and every wait over 100 ms of a 10 ms timer). For profiling: node --cpu-prof.
//
// curl -s 'http://127.0.0.1:3000/api/flows/history?limit=10000' > /tmp/flows.jsonl
// node --conditions=react-server --import tsx bench/investigation-save.ts /tmp/flows.jsonl [rounds]
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInvestigationResponse } from "@/server/http/investigations";
import { openInvestigationStore } from "@/server/investigations";
import { policySnapshot } from "@/server/investigations/testing/fixtures";

const [file, rounds = "2"] = process.argv.slice(2);
if (!file) throw new Error("usage: bench/investigation-save.ts <file of jsonpb flow lines> [rounds]");
const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
const flows: string[] = [];
for (let i = 0; flows.length < 50_000; i++) flows.push(lines[i % lines.length].replace(/"uuid":"[^"]*"/, `"uuid":"bench-${i}"`));
const body = Buffer.from(`{"title":"bench","view":"","flows":[${flows.join(",")}]}`);
flows.length = 0;
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; body MB`,
  (body.byteLength / 1048576).toFixed(1),
);

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "investigation-save-"));
  const store = await openInvestigationStore({ dataDir, databaseUrl: null });
  const api = { store, policies: () => policySnapshot(7) };
  for (let round = 0; round < Number(rounds); round++) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    // Longest gap between 10 ms ticks, with the time it happened.
    let last = performance.now();
    let worst = 0;
    const gaps: number[] = [];
    const tick = setInterval(() => {
      const now = performance.now();
      const gap = now - last;
      if (gap > 100) gaps.push(Math.round(gap));
      worst = Math.max(worst, gap);
      last = now;
    }, 10);
    h.enable();
    const t0 = performance.now();
    const stream = new ReadableStream<Uint8Array>({
      start() {},
      pull(c) {
        // 64 KB chunks as the HTTP layer hands them over.
        const off = (this as unknown as { off?: number }).off ?? 0;
        if (off >= body.byteLength) return c.close();
        c.enqueue(new Uint8Array(body.subarray(off, off + 65536)));
        (this as unknown as { off?: number }).off = off + 65536;
      },
    });
    const req = new Request("http://x/api/investigations", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    const res = await createInvestigationResponse(req, api);
    const ms = performance.now() - t0;
    clearInterval(tick);
    h.disable();
    console.log(
      `round ${round}: status ${res.status} in ${Math.round(ms)} ms; loop delay max ${Math.round(h.max / 1e6)} ms p99 ${Math.round(h.percentile(99) / 1e6)} ms; worst tick gap ${Math.round(worst)} ms; gaps>100ms: ${gaps.join(",")}; rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`,
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
void main();
