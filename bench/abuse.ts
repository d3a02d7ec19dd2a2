// npm run bench:abuse — issue 10's probes against a real server, with figures to compare before
// and after: a 140 MB junk investigation and a real 50,000-flow one (status, time, server RSS,
// what another viewer received meanwhile), deeply nested JSON, bad inputs, the security headers,
// a foreign Host, a cross-site form POST, and a relay restarted many times (runs reconnected to,
// outages announced, duplicate uuids, time from the relay being up to the viewer being live).
//
// The 50,000-flow save is also timed from the server's side: the longest wait of a cheap request
// (/icon.svg, asked every 100 ms) and, where the checkout has /metrics, the event loop's longest
// delay (nodejs_eventloop_lag_max_seconds, reset by the scrape before the save).
//
// Options: --dir <checkout> (default: this one; its build is made by scripts/start.mjs when
// missing) --port 3240 --relay-port 3241 --restarts 8 --run-min-ms 1000 --run-max-ms 5000
// --label <name> --probes junk,save,inputs,flap (a subset runs faster) --probe-timeout-s 240
// (a probe with no answer by then is noted, and the server restarted) --server-node-options=
// "--cpu-prof --cpu-prof-dir=/tmp/prof" (to profile the server). Prints a Markdown table and the
// figures as JSON.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { request as httpRequest } from "node:http";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { StreamEvent } from "@/lib/sse";
import { emptyObjectFlows, flowsOf, probe, rssMb, until, watchFlows } from "../e2e/http-probe";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: process.cwd() },
    port: { type: "string", default: "3240" },
    "relay-port": { type: "string", default: "3241" },
    restarts: { type: "string", default: "8" },
    "run-min-ms": { type: "string", default: "1000" },
    "run-max-ms": { type: "string", default: "5000" },
    label: { type: "string", default: "" },
    probes: { type: "string", default: "junk,save,inputs,flap" },
    "probe-timeout-s": { type: "string", default: "240" },
    "server-node-options": { type: "string", default: "" },
  },
});
const PROBES = new Set(values.probes.split(","));
const PROBE_TIMEOUT_MS = Number(values["probe-timeout-s"]) * 1000;
const DIR = resolve(values.dir);
const PORT = Number(values.port);
const RELAY_PORT = Number(values["relay-port"]);
const RESTARTS = Number(values.restarts);
const RUN_MIN = Number(values["run-min-ms"]);
const RUN_MAX = Number(values["run-max-ms"]);
const MB = 1024 * 1024;
const BASE = `http://127.0.0.1:${PORT}`;
const json = { "content-type": "application/json" };

const figures: Record<string, string | number> = {};
const note = (key: string, value: string | number) => {
  figures[key] = value;
  process.stderr.write(`${key}: ${value}\n`);
};

/** A demo relay of the checkout under test, in one process, stopped and started on command. */
function startRelay(): { child: ChildProcess; command(c: "stop" | "start"): Promise<number> } {
  // The checkout's own demo relay: before the fix it reused uuids across restarts.
  const child = spawn(
    process.execPath,
    [
      "--conditions=react-server",
      "--import",
      "tsx",
      join(process.cwd(), "e2e/flapping-relay.ts"),
      "--port",
      String(RELAY_PORT),
      "--rate",
      "200",
      "--module",
      join(DIR, "server/demo-relay/index.ts"),
    ],
    { cwd: DIR, stdio: ["pipe", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  const answer = async (word: string) => {
    await until(() => out.includes(word), `relay: ${word}`, 120_000);
    out = out.slice(out.indexOf(word) + word.length);
    return Date.now();
  };
  void answer("listening").then(() => (ready = true));
  let ready = false;
  return {
    child,
    async command(c) {
      if (!ready) await until(() => ready, "relay up", 120_000);
      child.stdin!.write(`${c}\n`);
      return answer(c === "stop" ? "stopped" : "listening");
    },
  };
}

function startServer(env: Record<string, string>): ChildProcess {
  const nodeOptions = values["server-node-options"];
  return spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: DIR,
    env: { ...process.env, PORT: String(PORT), HUBBLE_LENS_LOG_LEVEL: "error", NEXT_TELEMETRY_DISABLED: "1", ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** What the server under test is: its process (restarted when a probe got no answer) and its pid. */
class ServerUnderTest {
  child: ChildProcess;
  pid = 0;
  constructor(private readonly env: Record<string, string>) {
    this.child = startServer(env);
  }
  async ready(): Promise<void> {
    await until(async () => (await fetch(`${BASE}/api/status`).catch(() => undefined))?.ok === true, "the server", 600_000);
    this.pid = listeningPid();
  }
  async restart(): Promise<void> {
    await this.stop();
    this.child = startServer(this.env);
    await this.ready();
  }
  async stop(): Promise<void> {
    const child = this.child;
    const pid = this.pid;
    // start.mjs runs next as its child: stop the server itself first, then start.mjs. A server
    // whose event loop is stuck never runs its SIGTERM handler: it is killed after 15 s.
    const gone = () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    if (pid > 0 && !gone()) process.kill(pid, "SIGTERM");
    if (child.exitCode === null) child.kill("SIGTERM");
    await until(() => (pid <= 0 || gone()) && child.exitCode !== null, "the server to stop", 15_000).catch(() => undefined);
    if (pid > 0 && !gone()) process.kill(pid, "SIGKILL");
    if (child.exitCode === null) child.kill("SIGKILL");
    await until(() => pid <= 0 || gone(), "the server to be killed", 10_000).catch(() => undefined);
  }
}

/**
 * A viewer of /api/flows that reconnects when its stream is cut off (a server that sends nothing
 * for 300 s trips undici's body timeout) or ends; `cutOffs` counts those.
 */
class SteadyViewer {
  private past: StreamEvent[] = [];
  private current: ReturnType<typeof watchFlows>;
  private stopped = false;
  cutOffs = 0;
  constructor() {
    this.current = this.connect();
  }
  get events(): StreamEvent[] {
    return this.past.length === 0 ? this.current.events : [...this.past, ...this.current.events];
  }
  private connect(): ReturnType<typeof watchFlows> {
    const w = watchFlows(BASE);
    w.done
      .catch(() => undefined)
      .then(async () => {
        if (this.stopped) return;
        this.cutOffs++;
        this.past.push(...w.events);
        w.events.length = 0;
        await new Promise((r) => setTimeout(r, 1000));
        if (!this.stopped) this.current = this.connect();
      });
    return w;
  }
  stop(): void {
    this.stopped = true;
    this.current.stop();
  }
}

/** The probe's answer, or undefined when it has none within PROBE_TIMEOUT_MS. */
async function withDeadline<T>(work: Promise<T>): Promise<T | undefined> {
  work.catch(() => undefined); // a connection reset after the deadline is no crash
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), PROBE_TIMEOUT_MS)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /api/flows: the status of its answer, the stream left open until `close`. */
function streamHead(): Promise<{ status: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: PORT, agent: false, path: "/api/flows" }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The event loop's longest delay since the last scrape, in ms; undefined without /metrics. */
async function eventLoopMaxMs(): Promise<number | undefined> {
  const res = await fetch(`${BASE}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const m = /^nodejs_eventloop_lag_max_seconds ([0-9.e+-]+)$/m.exec(await res.text());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** Asks for /icon.svg every 100 ms (one at a time) until stopped; the longest wait for an answer. */
function pinger(): { stop(): Promise<{ maxMs: number; count: number }> } {
  let stopped = false;
  let maxMs = 0;
  let count = 0;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      await probe(PORT, { path: "/icon.svg" }).catch(() => undefined);
      const ms = performance.now() - t0;
      maxMs = Math.max(maxMs, ms);
      count++;
      if (ms < 100) await new Promise((r) => setTimeout(r, 100 - ms));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { maxMs: Math.round(maxMs), count };
    },
  };
}

/** The pid of the process listening on PORT (next start renames itself next-server). */
function listeningPid(): number {
  const out = execFileSync("ss", ["-ltnpH", `sport = :${PORT}`], { encoding: "utf8" });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`nothing listens on ${PORT}`);
  return Number(m[1]);
}

/** Flows a viewer received and the longest pause between its flow events, over `run`. */
async function watched<T>(viewer: SteadyViewer, pid: number, run: () => Promise<T>): Promise<{ result: T; flows: number; maxGapMs: number; rssPeak: number; ms: number }> {
  const start = viewer.events.length;
  let lastFlowAt = performance.now();
  let maxGapMs = 0;
  let seen = start;
  let rssPeak = rssMb(pid);
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMb(pid));
    const events = viewer.events;
    const fresh = events.slice(seen);
    seen = events.length;
    const now = performance.now();
    if (fresh.some((e) => e.type === "flows")) {
      maxGapMs = Math.max(maxGapMs, now - lastFlowAt);
      lastFlowAt = now;
    }
  }, 50);
  const t0 = performance.now();
  const result = await run();
  const ms = performance.now() - t0;
  clearInterval(sampler);
  maxGapMs = Math.max(maxGapMs, performance.now() - lastFlowAt);
  return { result, flows: flowsOf(viewer.events.slice(start)).length, maxGapMs: Math.round(maxGapMs), rssPeak, ms: Math.round(ms) };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "hubble-lens-bench-abuse-"));
  const policies = join(tmp, "policies");
  cpSync(join(DIR, "server/demo-relay/scenarios/shop.policies.yaml"), join(policies, "shop.yaml"), { recursive: true });
  const relay = startRelay();
  const server = new ServerUnderTest({ HUBBLE_RELAY_ADDR: `127.0.0.1:${RELAY_PORT}`, HUBBLE_LENS_POLICIES: policies, HUBBLE_LENS_DATA_DIR: join(tmp, "data") });
  let viewer: SteadyViewer | undefined;
  note("load average at start", loadAverage());
  try {
    await server.ready();
    viewer = new SteadyViewer();
    const v = viewer;
    await until(() => flowsOf(v.events).length > 0, "flows");
    // A steady state first: the flow rate the viewer gets with nothing else going on.
    const idle = await watched(v, server.pid, () => new Promise((r) => setTimeout(r, 5000)));
    const idleRate = idle.flows / 5;
    note("viewer flows/s, idle", Math.round(idleRate));
    note("viewer longest pause, idle (ms)", idle.maxGapMs);
    note("server RSS, idle (MB)", rssMb(server.pid));

    /** Runs a probe; with no answer by the deadline, notes it and restarts the server. */
    const bounded = async <T>(name: string, run: () => Promise<T>): Promise<{ result: T; flows: number; maxGapMs: number; rssPeak: number; ms: number } | undefined> => {
      const w = await watched(v, server.pid, () => withDeadline(run()));
      if (w.result !== undefined) return w as typeof w & { result: T };
      note(`${name}: no answer within (s)`, PROBE_TIMEOUT_MS / 1000);
      note(`${name}: server RSS then (MB)`, rssMb(server.pid));
      note(`${name}: viewer flows meanwhile, % of idle rate`, Math.round((100 * w.flows) / Math.max(1, idleRate * (w.ms / 1000))));
      await server.restart();
      await until(() => v.events.slice(-20).some((e) => e.type === "flows"), "flows after the restart", 120_000);
      return undefined;
    };

    if (PROBES.has("junk")) {
      // 1. 140 MB of empty-object flows.
      const rssBefore = rssMb(server.pid);
      const junk = await bounded("junk 140 MB", () => probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: () => emptyObjectFlows(140 * MB) }));
      if (junk) {
        note("junk 140 MB: status", junk.result.status);
        note("junk 140 MB: answer after (ms)", junk.ms);
        note("junk 140 MB: MB read before the answer", Math.round(junk.result.sentBytes / MB));
        note("junk 140 MB: server RSS growth, peak (MB)", junk.rssPeak - rssBefore);
        note("junk 140 MB: viewer longest pause (ms)", junk.maxGapMs);
        note("junk 140 MB: viewer flows meanwhile, % of idle rate", Math.round((100 * junk.flows) / Math.max(1, idleRate * (junk.ms / 1000))));
        await new Promise((r) => setTimeout(r, 3000)); // let the GC settle before the next probe
        note("junk 140 MB: server RSS 3 s later (MB)", rssMb(server.pid));
      }
    }

    if (PROBES.has("save")) {
      // 2. A real investigation of 50,000 flows (the relay's flows, repeated with fresh uuids).
      const lines = (await (await fetch(`${BASE}/api/flows/history?limit=10000`)).text()).split("\n").filter(Boolean);
      const flows: string[] = [];
      for (let i = 0; flows.length < 50_000; i++) {
        const line = lines[i % lines.length];
        flows.push(line.replace(/"uuid":"[^"]*"/, `"uuid":"bench-${i}"`));
      }
      const body = Buffer.from(`{"title":"bench","view":"","flows":[${flows.join(",")}]}`);
      flows.length = 0;
      note("real 50,000 flows: body (MB)", Math.round(body.byteLength / MB));
      const rssBeforeReal = rssMb(server.pid);
      await eventLoopMaxMs(); // resets the server's histogram
      const ping = pinger();
      const real = await bounded("real 50,000 flows", () => probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: body.toString("utf8") }));
      const pinged = await ping.stop();
      if (real) {
        note("real 50,000 flows: status", real.result.status);
        note("real 50,000 flows: saved in (ms)", real.ms);
        note("real 50,000 flows: server RSS growth, peak (MB)", real.rssPeak - rssBeforeReal);
        note("real 50,000 flows: viewer longest pause (ms)", real.maxGapMs);
        note("real 50,000 flows: viewer flows/s meanwhile", Math.round(real.flows / (real.ms / 1000)));
        note("real 50,000 flows: longest wait for /icon.svg meanwhile (ms)", pinged.maxMs);
        note("real 50,000 flows: server event loop, longest delay (ms)", (await eventLoopMaxMs()) ?? "— (no /metrics)");
      }
    }

    if (PROBES.has("inputs")) {
      // 3. Nested JSON, bad inputs, headers, Host, cross-site.
      const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
      note("nested JSON explain: status", (await probe(PORT, { method: "POST", path: "/api/explain", headers: json, body: `{"flow":${deep}}` })).status);
      note(
        "nested JSON investigation: status",
        (await probe(PORT, { method: "POST", path: "/api/investigations", headers: json, body: `{"title":"t","view":"","flows":[${deep}]}` })).status,
      );
      note("/investigations/<bad id>: status", (await probe(PORT, { path: "/investigations/AAAAAAAAAAAAAAAAAAAAAA" })).status);
      note("since=-5m: status", (await probe(PORT, { path: "/api/flows/history?since=-5m" })).status);
      note('explain {"flow":{"nope":1}}: status', (await probe(PORT, { method: "POST", path: "/api/explain", headers: json, body: '{"flow":{"nope":1}}' })).status);
      const policiesText = (await probe(PORT, { path: "/api/policies" })).body;
      note("/api/policies shows the server's absolute path", policiesText.includes(tmp) ? "yes" : "no");
      const page = await probe(PORT, { path: "/" });
      const headers = ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"].filter((h) => page.headers[h] !== undefined);
      note("security headers on /", headers.length === 0 ? "none" : headers.join(", "));
      note("foreign Host: status", (await probe(PORT, { path: "/api/status", headers: { host: "rebound.attacker.example" } })).status);
      note(
        "cross-site text/plain form POST to /api/explain: status",
        (
          await probe(PORT, {
            method: "POST",
            path: "/api/explain",
            headers: { "content-type": "text/plain", origin: "https://attacker.example", "sec-fetch-site": "cross-site" },
            body: '{"flow":{"verdict":"DROPPED"}}',
          })
        ).status,
      );
      // Streams from one address: how many the server keeps open (stops at 40). The viewer holds one more.
      const held: Array<() => void> = [];
      let refusedAt = "none of 41, the viewer's included";
      for (let i = 0; i < 40; i++) {
        const s = await streamHead();
        held.push(s.close);
        if (s.status !== 200) {
          refusedAt = `stream ${i + 2}, the viewer's included (${s.status})`;
          break;
        }
      }
      for (const close of held) close();
      note("streams from one address: first refused", refusedAt);
    }

    if (PROBES.has("flap")) {
      // 4. The relay restarted RESTARTS times, up RUN_MIN..RUN_MAX ms each run.
      const mark = v.events.length;
      const liveAt: number[] = [];
      let caught = 0;
      for (let run = 1; run <= RESTARTS; run++) {
        await relay.command("stop");
        const up = await relay.command("start");
        const before = v.events.length;
        const upMs = RUN_MIN + Math.random() * (RUN_MAX - RUN_MIN);
        const live = await until(() => v.events.slice(before).some((e) => e.type === "relay" && e.state.kind === "live"), "live", upMs).then(
          () => true,
          () => false,
        );
        if (live) {
          caught++;
          liveAt.push(Date.now() - up);
        }
        const left = upMs - (Date.now() - up);
        if (left > 0) await new Promise((r) => setTimeout(r, left));
      }
      await new Promise((r) => setTimeout(r, 2000));
      const flap = v.events.slice(mark);
      const lives = flap.filter((e): e is Extract<StreamEvent, { type: "relay" }> => e.type === "relay" && e.state.kind === "live");
      const announced = lives.filter((e) => (e.state as { outage?: unknown }).outage !== undefined).length;
      let segment = -1;
      const perRun: number[] = [];
      for (const e of flap) {
        if (e.type === "relay" && e.state.kind === "live") perRun[++segment] = 0;
        else if (e.type === "flows" && segment >= 0) perRun[segment] += e.flows.length;
      }
      const uuids = flowsOf(flap).map((f) => String(f.uuid));
      note(`relay restarts (runs of ${RUN_MIN / 1000}-${RUN_MAX / 1000} s)`, RESTARTS);
      note("runs reconnected to while up", caught);
      note("runs with flows at the viewer", perRun.filter((n) => n > 0).length);
      note("outages announced to the viewer", announced);
      note("relay up → viewer live, median (ms)", liveAt.length ? liveAt.sort((a, b) => a - b)[Math.floor(liveAt.length / 2)] : "—");
      note("duplicate uuids at the viewer", uuids.length - new Set(uuids).size);
      const status = (await (await fetch(`${BASE}/api/status`)).json()) as { relay: { outages?: { count: number } } };
      note("/api/status outages count", status.relay.outages?.count ?? "absent");
    }
    note("viewer streams cut off (reconnected)", v.cutOffs);
  } finally {
    viewer?.stop();
    await server.stop();
    relay.child.stdin!.end();
    relay.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(tmp, { recursive: true, force: true });
  }
  note("load average at end", loadAverage());
  process.stdout.write(`\n| probe | ${values.label || DIR} |\n|---|---|\n`);
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`| ${k} | ${v} |\n`);
  process.stdout.write(`\n${JSON.stringify({ label: values.label, dir: DIR, figures })}\n`);
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:abuse failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
