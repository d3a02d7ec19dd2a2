// npm run bench:ingest — how many flows/s the stream path sustains from the relay to SSE clients.
//
// Four processes, so each is measured alone: the demo relay (at a given rate), the server (relay
// client + hub + /api/flows), the SSE clients (bench/sse-clients.mjs, counting flows cheaply) and
// this one, which only starts and samples them. For each
// rate and subscriber count it reports the flows/s every client received, the server's CPU (share
// of one core) and memory, and compares the server's flows per CPU-second with a plain
// `fromBinary` decode of the same GetFlowsResponse bytes measured in this run.
//
// Options: --rates 2000,5000,10000,20000 --subscribers 1,10 --seconds 20 --soak 0 (a soak run
// holds the highest rate with the most subscribers for that many seconds and samples memory)
// --pin (the server alone on CPU 0, the relay and the clients on CPU 1; needs taskset)
// --buffer 4095 (the relay's per-node ring capacity) --filters same|distinct (distinct: each
// subscriber its own filter, so each is its own upstream stream to the relay, as ten people
// looking at different namespaces are).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema, GetFlowsResponseSchema, type GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { ObserverClientConstructor } from "@/server/grpc/service-definition";
import * as grpc from "@grpc/grpc-js";

const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "2000,5000,10000,20000" },
    subscribers: { type: "string", default: "1,10" },
    seconds: { type: "string", default: "20" },
    soak: { type: "string", default: "0" },
    pin: { type: "boolean", default: false },
    // Per-node ring capacity of the relay: Hubble's default (hubble-event-buffer-capacity).
    buffer: { type: "string", default: "4095" },
    filters: { type: "string", default: "same" },
  },
});
const rates = values.rates.split(",").map(Number);
const subscriberCounts = values.subscribers.split(",").map(Number);
const seconds = Number(values.seconds);
const soakSeconds = Number(values.soak);
if (values.filters !== "same" && values.filters !== "distinct") throw new Error("--filters must be same or distinct");
/**
 * The views of --filters distinct, one per subscriber in turn: the shop scenario's namespaces and
 * two verdict views, each a different upstream filter (the server subscribes to the relay once per
 * distinct filter).
 */
const DISTINCT_VIEWS = [
  "namespace=shop-frontend",
  "namespace=shop-backend",
  "namespace=payments",
  "namespace=billing",
  "namespace=data",
  "namespace=monitoring",
  "namespace=kube-system",
  "namespace=cert-manager",
  "verdict=DROPPED",
  "namespace=shop-backend&verdict=FORWARDED",
];
const viewPaths = values.filters === "same" ? ["/api/flows?since=1s"] : DISTINCT_VIEWS.map((v) => `/api/flows?since=1s&${v}`);
const NODE = [process.execPath, "--conditions=react-server", "--import", "tsx"];

/**
 * With --pin (Linux, taskset): the server alone on CPU 0 — "one core" of the target, measured
 * literally — and the relay and the clients on CPU 1, so neither takes the server's core.
 */
const SERVER_CPU = "0";
const OTHERS_CPU = "1";

/** `command args…`, under `taskset -c cpu` when pinning. */
function pinned(cpu: string, command: string[]): [string, string[]] {
  return values.pin ? ["taskset", ["-c", cpu, ...command]] : [command[0], command.slice(1)];
}

function startProcess(args: string[], env: Record<string, string>, ready: RegExp, cpu: string): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const [command, argv] = pinned(cpu, [...NODE, ...args]);
    const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    });
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}: ${out}`)));
  });
}

/** CPU seconds (user+system) of a process's main thread (the event loop), from /proc. */
function mainThreadCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds (user+system) and RSS of a process, from /proc. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuS: ticks / 100, rssMb: (rssPages * 4096) / 1024 / 1024 };
}

interface ClientsReport {
  readonly flows: number[];
  readonly live: boolean[];
}

/** The SSE clients, in a child process of their own (bench/sse-clients.mjs); the latest report. */
function startClients(port: number, count: number): { child: ChildProcess; latest: () => ClientsReport } {
  const [command, argv] = pinned(OTHERS_CPU, [process.execPath, "bench/sse-clients.mjs", String(port), String(count), ...viewPaths]);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let latest: ClientsReport = { flows: Array(count).fill(0), live: Array(count).fill(false) };
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    if (lines.length > 0) latest = JSON.parse(lines.at(-1)!) as ClientsReport;
  });
  return { child, latest: () => latest };
}

/** Plain decode throughput of real GetFlowsResponse bytes from the relay, flows per CPU-second. */
async function decodeBaseline(address: string): Promise<number> {
  const client = new ObserverClientConstructor(address, grpc.credentials.createInsecure());
  const samples: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) => {
    const call = client.getFlows(create(GetFlowsRequestSchema, { number: 2000n }));
    call.on("data", (r: GetFlowsResponse) => {
      if (r.responseTypes.case === "flow") samples.push(toBinary(GetFlowsResponseSchema, r));
    });
    call.on("end", () => resolve());
    call.on("error", reject);
  });
  client.close();
  const start = process.cpuUsage();
  let n = 0;
  const until = performance.now() + 3000;
  while (performance.now() < until) {
    for (const b of samples) fromBinary(GetFlowsResponseSchema, b);
    n += samples.length;
  }
  const used = process.cpuUsage(start);
  return n / ((used.user + used.system) / 1e6);
}

/** Relay flows the server's thread has received so far, on every upstream stream (its /metrics). */
async function serverReceived(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = text.match(/^hubble_lens_relay_flows_received_total (\d+)/m);
  return m ? Number(m[1]) : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_WARMUP_MS = 60_000;

async function main(): Promise<void> {
  const rows: string[] = [];
  let baseline = 0;
  for (const rate of rates) {
    const relay = await startProcess(
      ["server/demo-relay/cli.ts", "--port", "0", "--scenario", "shop", "--rate", String(rate), "--seed", "7", "--buffer", values.buffer],
      {},
      /listening on (\S+)/,
      OTHERS_CPU,
    );
    const address = relay.match[1];
    if (baseline === 0) baseline = await decodeBaseline(address);
    for (const subs of subscriberCounts) {
      // History on, as `npm start` has it, in a throwaway data directory.
      const dataDir = mkdtempSync(join(tmpdir(), "bench-ingest-"));
      const server = await startProcess(
        ["bench/ingest-server.ts"],
        { HUBBLE_RELAY_ADDR: address, HUBBLE_LENS_LOG_LEVEL: "warn", HUBBLE_LENS_DATA_DIR: dataDir },
        /listening (\d+)/,
        SERVER_CPU,
      );
      const port = Number(server.match[1]);
      const clients = startClients(port, subs);
      const allLive = () => clients.latest().live.every(Boolean);
      // Warm-up: until every client has had its second of history and is live (each history is
      // its own GetFlows to the relay and costs the server as much per flow as live flows), then
      // 3 s more for the held live batches to drain.
      const subscribedAt = performance.now();
      while (!allLive() && performance.now() - subscribedAt < MAX_WARMUP_MS) await sleep(100);
      const historyS = (performance.now() - subscribedAt) / 1000;
      await sleep(3000);
      const pid = server.child.pid!;
      const before = procStats(pid);
      const mainBefore = mainThreadCpuS(pid);
      const relayBefore = procStats(relay.child.pid!).cpuS;
      const clientsBefore = procStats(clients.child.pid!).cpuS;
      const flowsBefore = clients.latest().flows;
      const receivedBefore = await serverReceived(port);
      const duration = soakSeconds > 0 && rate === rates.at(-1) && subs === subscriberCounts.at(-1) ? soakSeconds : seconds;
      const rss: number[] = [];
      const minuteRates: number[] = [];
      let minuteStart = clients.latest().flows;
      for (let t = 0; t < duration; t += 5) {
        await sleep(Math.min(5, duration - t) * 1000);
        rss.push(procStats(pid).rssMb);
        if (rss.length % 12 === 0) {
          const now = clients.latest().flows;
          minuteRates.push(Math.min(...now.map((n, i) => (n - minuteStart[i]) / 60)));
          minuteStart = now;
        }
      }
      const after = procStats(pid);
      const receivedRate = ((await serverReceived(port)) - receivedBefore) / duration;
      const perClient = clients.latest().flows.map((n, i) => (n - flowsBefore[i]) / duration);
      const minRate = Math.min(...perClient);
      const cpuShare = (after.cpuS - before.cpuS) / duration;
      const mainShare = (mainThreadCpuS(pid) - mainBefore) / duration;
      const relayShare = (procStats(relay.child.pid!).cpuS - relayBefore) / duration;
      const clientsShare = (procStats(clients.child.pid!).cpuS - clientsBefore) / duration;
      // Relay flows the event loop took in per CPU-second of it (the recorder's thread apart).
      const flowsPerCpuS = mainShare > 0 ? receivedRate / mainShare : 0;
      rows.push(
        `| ${rate} | ${subs} | ${values.filters} | ${receivedRate.toFixed(0)} | ${allLive() ? historyS.toFixed(1) : `> ${MAX_WARMUP_MS / 1000}`} | ${minRate.toFixed(0)} | ${(minRate / rate).toFixed(2)} | ${(cpuShare * 100).toFixed(0)}% (${(mainShare * 100).toFixed(0)}%) | ` +
          `${rss[0]?.toFixed(0)} → ${after.rssMb.toFixed(0)} MB | ${(flowsPerCpuS / baseline).toFixed(3)} | ` +
          `${(relayShare * 100).toFixed(0)}% | ${(clientsShare * 100).toFixed(0)}% |`,
      );
      process.stdout.write(`${rows.at(-1)}\n`);
      if (duration >= 60) {
        // A soak: RSS once a minute and the per-client rate over each minute, to show both stay flat.
        const perMinute = rss.filter((_, i) => (i + 1) % 12 === 0).map((mb) => mb.toFixed(0));
        process.stdout.write(`soak: server RSS MB at each minute: ${perMinute.join(", ")}\n`);
        process.stdout.write(`soak: slowest client's flows/s in each minute: ${minuteRates.map((r) => r.toFixed(0)).join(", ")}\n`);
      }
      clients.child.kill("SIGKILL");
      server.child.kill("SIGKILL");
      await sleep(500);
      rmSync(dataDir, { recursive: true, force: true });
    }
    relay.child.kill("SIGKILL");
  }
  process.stdout.write(
    `\nbaseline: fromBinary decode of GetFlowsResponse = ${baseline.toFixed(0)} flows per CPU-second\n\n` +
      "| relay rate (events/s) | SSE subscribers | filters | relay flows/s the server received (all upstreams) | s until all live | flows/s per subscriber (min) | delivered / rate | server CPU, all threads (its event loop) | server RSS start → end | relay flows received per event-loop CPU-s ÷ decode baseline | relay CPU | clients CPU |\n" +
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n" +
      rows.join("\n") +
      "\n",
  );
  process.exit(0);
}

void main();
