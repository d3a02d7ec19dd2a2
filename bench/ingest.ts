// npm run bench:ingest — how many flows/s the stream path sustains from the relay to SSE clients.
//
// Three processes, so each is measured alone: the demo relay (at a given rate), the server (relay
// client + hub + /api/flows) and this process (the SSE clients, counting flows cheaply). For each
// rate and subscriber count it reports the flows/s every client received, the server's CPU (share
// of one core) and memory, and compares the server's flows per CPU-second with a plain
// `fromBinary` decode of the same GetFlowsResponse bytes measured in this run.
//
// Options: --rates 2000,5000,10000,20000 --subscribers 1,10 --seconds 20 --soak 0 (a soak run
// holds the highest rate with the most subscribers for that many seconds and samples memory).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
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
  },
});
const rates = values.rates.split(",").map(Number);
const subscriberCounts = values.subscribers.split(",").map(Number);
const seconds = Number(values.seconds);
const soakSeconds = Number(values.soak);
const NODE = [process.execPath, "--conditions=react-server", "--import", "tsx"];

function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE[0], [...NODE.slice(1), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    });
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}: ${out}`)));
  });
}

/** CPU seconds (user+system) and RSS of a process, from /proc. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuS: ticks / 100, rssMb: (rssPages * 4096) / 1024 / 1024 };
}

/** One SSE client; counts flows by their first key, without parsing JSON. */
function subscribe(port: number, counter: { flows: number }): () => void {
  const req = request({ host: "127.0.0.1", port, path: "/api/flows?since=1s" }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      let i = 0;
      while ((i = chunk.indexOf('{"time":"', i)) >= 0) {
        counter.flows++;
        i += 9;
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return () => req.destroy();
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const rows: string[] = [];
  let baseline = 0;
  for (const rate of rates) {
    const relay = await startProcess(
      ["server/demo-relay/cli.ts", "--port", "0", "--scenario", "shop", "--rate", String(rate), "--seed", "7", "--buffer", "16383"],
      {},
      /listening on (\S+)/,
    );
    const address = relay.match[1];
    if (baseline === 0) baseline = await decodeBaseline(address);
    for (const subs of subscriberCounts) {
      const server = await startProcess(["bench/ingest-server.ts"], { HUBBLE_RELAY_ADDR: address, HUBBLE_LENS_LOG_LEVEL: "warn" }, /listening (\d+)/);
      const port = Number(server.match[1]);
      const counters = Array.from({ length: subs }, () => ({ flows: 0 }));
      const stops = counters.map((c) => subscribe(port, c));
      await sleep(3000); // warm-up: history, JIT
      const pid = server.child.pid!;
      const before = procStats(pid);
      const flowsBefore = counters.map((c) => c.flows);
      const duration = soakSeconds > 0 && rate === rates.at(-1) && subs === subscriberCounts.at(-1) ? soakSeconds : seconds;
      const rss: number[] = [];
      for (let t = 0; t < duration; t += 5) {
        await sleep(Math.min(5, duration - t) * 1000);
        rss.push(procStats(pid).rssMb);
      }
      const after = procStats(pid);
      const perClient = counters.map((c, i) => (c.flows - flowsBefore[i]) / duration);
      const minRate = Math.min(...perClient);
      const cpuShare = (after.cpuS - before.cpuS) / duration;
      const flowsPerCpuS = cpuShare > 0 ? minRate / cpuShare : 0;
      rows.push(
        `| ${rate} | ${subs} | ${minRate.toFixed(0)} | ${(minRate / rate).toFixed(2)} | ${(cpuShare * 100).toFixed(0)}% | ` +
          `${rss[0]?.toFixed(0)} → ${after.rssMb.toFixed(0)} MB | ${(flowsPerCpuS / baseline).toFixed(3)} |`,
      );
      process.stdout.write(`${rows.at(-1)}\n`);
      for (const stop of stops) stop();
      server.child.kill("SIGKILL");
      await sleep(500);
    }
    relay.child.kill("SIGKILL");
  }
  process.stdout.write(
    `\nbaseline: fromBinary decode of GetFlowsResponse = ${baseline.toFixed(0)} flows per CPU-second\n\n` +
      "| relay rate (events/s) | SSE subscribers | flows/s per subscriber (min) | delivered / rate | server CPU (one core = 100%) | server RSS start → end | server flows per CPU-s ÷ decode baseline |\n" +
      "|---|---|---|---|---|---|---|\n" +
      rows.join("\n") +
      "\n",
  );
  process.exit(0);
}

void main();
