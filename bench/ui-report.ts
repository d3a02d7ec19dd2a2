// bench:ui's report writer: the Markdown it prints (the run, the baseline, a row per sample, the summary against the targets).

export type Sample = {
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
  /** Relay flows/s the server received on its following streams, and events/s the relay reported lost. */
  receivedRate?: number;
  lostRate?: number;
};

/** Everything one run measured, and what it ran with. */
export interface UiRun {
  /** The command line's arguments. */
  readonly args: string[];
  readonly values: { readonly scenario: string; readonly seed: string; readonly path: string };
  readonly baselineSeconds: number;
  readonly browserVersion: string;
  readonly startedUptime: string;
  readonly endUptime: string;
  readonly baseline: Sample[];
  readonly samples: Sample[];
  /** Heap and DOM nodes after a forced GC at the first rows and at the end. */
  readonly gcStart: { heapMb: number; domNodes: number };
  readonly gcEnd: { heapMb: number; domNodes: number };
  readonly acts: { clickMs: number[]; dropsMs: number[] };
  readonly profileLines: string[];
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN;
};

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

/** The report of `run`, as Markdown, dated now. */
export function uiReport(run: UiRun): string {
  const { values, baseline, samples, gcStart, gcEnd, acts, profileLines, startedUptime, endUptime, browserVersion } = run;
  const BASELINE_SECONDS = run.baselineSeconds;
  const baseFps = mean(baseline.map((s) => s.fps));
  const last = samples[samples.length - 1];
  const out: string[] = [];
  out.push(`## bench:ui — ${new Date().toISOString()}`, "");
  out.push(
    `\`npm run bench:ui -- ${run.args.join(" ") || "(defaults)"}\` (scenario ${values.scenario}, seed ${values.seed}, page ${values.path}, Chromium ${browserVersion}, 1440×900, headless)`,
    "",
  );
  out.push(`- machine at start: \`${startedUptime}\``, `- machine at end: \`${endUptime}\``, "");
  out.push(
    `Baseline (about:blank with the same probes, ${BASELINE_SECONDS} s): ${f1(baseFps)} frames/s, ${baseline.reduce((a, s) => a + s.longTasks, 0)} long tasks, main thread busy ${f1(mean(baseline.map((s) => s.busyPct)))} %.`,
    "",
  );
  out.push(
    "| t (s) | fps | fps ÷ baseline | long tasks | long-task ms | main thread busy % (script / layout+style) | heap MB | DOM nodes | flows held | map nodes | map edges | stream KB/s (/api/flows) | relay's rate: flows/s | server received flows/s (relay lost events/s) | newest row behind s (relay's part) |",
  );
  out.push("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
  for (const s of samples) {
    out.push(
      `| ${s.t} | ${f1(s.fps)} | ${f2(s.fps / baseFps)} | ${s.longTasks} | ${Math.round(s.longTaskMs)} | ${Math.round(s.busyPct)} (${Math.round(s.scriptPct)} / ${Math.round(s.layoutPct)}) | ${f1(s.heapMb)} | ${Math.round(s.domNodes)} | ${s.flowsHeld ?? "—"} | ${s.mapNodes} | ${s.mapEdges} | ${Math.round(s.sseKbPerS)} | ${s.serverRate === undefined ? "—" : Math.round(s.serverRate)} | ${s.receivedRate === undefined ? "—" : Math.round(s.receivedRate)} (${s.lostRate === undefined ? "—" : Math.round(s.lostRate)}) | ${s.newestLagS === null ? "—" : f1(s.newestLagS)} (${s.relayDelayS === undefined ? "—" : f1(s.relayDelayS)}) |`,
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
  const received = samples.flatMap((s) => (s.receivedRate === undefined || !s.serverRate ? [] : [s.receivedRate / s.serverRate]));
  const lost = samples.flatMap((s) => (s.lostRate === undefined ? [] : [s.lostRate]));
  out.push(
    `- the server received ${received.length ? `${Math.round(100 * percentile(received, 0.5))} %` : "—"} of the relay's flows (median of the samples; the rest the relay reported lost: median ${lost.length ? Math.round(percentile(lost, 0.5)) : "—"} events/s)`,
  );
  out.push(
    `- row click → details (pointer down → first frame showing them, timed in the page): p50 ${Math.round(percentile(acts.clickMs, 0.5))} ms, p95 ${Math.round(percentile(acts.clickMs, 0.95))} ms over ${acts.clickMs.length} clicks (target p95 ≤ 150 ms)`,
  );
  out.push(
    `- Drops view open (pointer down → first frame): p50 ${Math.round(percentile(acts.dropsMs, 0.5))} ms, max ${Math.round(Math.max(...acts.dropsMs))} ms over ${acts.dropsMs.length} opens (target ≤ 300 ms)`,
  );
  out.push(`- median frame rate ÷ baseline: ${f2(percentile(fpsAll, 0.5) / baseFps)} (target ≥ 0.8); heap at the end ${f1(last.heapMb)} MB (target < 300 MB, flat)`);
  if (profileLines.length) out.push("", ...profileLines);
  return out.join("\n") + "\n";
}
