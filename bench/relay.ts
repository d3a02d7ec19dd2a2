// npm run bench:relay — how many flows/s the demo relay sustains to one follow client.
//
// For each rate the demo relay CLI runs as a child process (`--rate R --port 0`) and this process
// follows it with a raw grpc-js client that does NOT decode (identity deserializer; responses are
// counted by their first byte), so the numbers are the relay's. After a warm-up, it reports over a
// window: responses/s received, delivered/rate, lost-events notices (the ring overtook the stream),
// the relay's CPU (share of one core, from /proc/<pid>/stat) and RSS, and the relay's flows per
// CPU-second relative to a plain protobuf-es `toBinary` of the same responses, timed in this run.
//
// Options: --rates 10000,25000,50000,75000 --seconds 10 --warmup 3 --scenario shop
//          --relay-dir DIR (run the relay of another checkout, e.g. an export of the previous
//          commit with node_modules linked, for a before/after comparison in one run)
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { GetFlowsRequestSchema, GetFlowsResponseSchema, type GetFlowsResponse } from "@/proto/gen/observer/observer_pb";

const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "10000,25000,50000,75000" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    scenario: { type: "string", default: "shop" },
    "relay-dir": { type: "string", default: "." },
  },
});
const rates = values.rates.split(",").map(Number);
const seconds = Number(values.seconds);
const warmupS = Number(values.warmup);
const NODE_ARGS = ["--conditions=react-server", "--import", "tsx"];
const GET_FLOWS = "/observer.Observer/GetFlows";

// First byte of a GetFlowsResponse as the relay writes it: the oneof's tag (field << 3 | LEN).
const FLOW_TAG = 0x0a;
const LOST_TAG = 0x1a;

function startRelay(rate: number): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, "server/demo-relay/cli.ts", "--port", "0", "--rate", String(rate), "--scenario", values.scenario], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: values["relay-dir"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (\S+)/);
      if (m) resolve({ child, address: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`demo relay exited with ${code}: ${out}`)));
  });
}

function stopRelay(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** CPU seconds (user+system) and RSS of a process, from /proc. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuS: ticks / 100, rssMb: (Number(fields[21]) * 4096) / 1024 / 1024 };
}

interface Counter {
  flows: number;
  lost: number;
  other: number;
  samples: Uint8Array[];
}

/** A follow stream counting raw responses; keeps the first flow responses as samples. */
function follow(address: string, counter: Counter): () => void {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
    // grpc-js's default HTTP/2 window is 64 KiB: at ~1.2 kB a flow the reader then waits a round
    // trip every ~50 flows, which on a busy machine caps it near 20,000 flows/s whatever the
    // relay does. grpc-go (the hubble CLI) sizes its window from the bandwidth; so does this.
    "grpc-node.flow_control_window": 8 * 1024 * 1024,
  });
  const request = toBinary(GetFlowsRequestSchema, create(GetFlowsRequestSchema, { follow: true }));
  const call = client.makeServerStreamRequest<Uint8Array, Buffer>(
    GET_FLOWS,
    (b) => Buffer.from(b),
    (b) => b,
    request,
  );
  call.on("data", (b: Buffer) => {
    if (b[0] === FLOW_TAG) {
      counter.flows++;
      if (counter.samples.length < 5000) counter.samples.push(new Uint8Array(b));
    } else if (b[0] === LOST_TAG) counter.lost++;
    else counter.other++;
  });
  call.on("error", () => undefined);
  return () => {
    call.cancel();
    client.close();
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** toBinary flows per CPU-second of this process, on the given responses. */
function toBinaryBaseline(messages: GetFlowsResponse[]): number {
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  while (Date.now() - t0 < 1500) {
    for (const m of messages) toBinary(GetFlowsResponseSchema, m);
    n += messages.length;
  }
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}

interface Row {
  rate: number;
  flowsPerS: number;
  lost: number;
  relayCpu: number;
  clientCpu: number;
  rssMb: number;
  flowsPerCpuS: number;
  baseline: number;
}

async function measure(rate: number): Promise<Row> {
  const { child, address } = await startRelay(rate);
  const counter: Counter = { flows: 0, lost: 0, other: 0, samples: [] };
  const stop = follow(address, counter);
  await sleep(warmupS * 1000);
  const f0 = counter.flows;
  const l0 = counter.lost;
  const p0 = procStats(child.pid!);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const p1 = procStats(child.pid!);
  const c = process.cpuUsage(c0);
  const flows = counter.flows - f0;
  const lost = counter.lost - l0;
  stop();
  await stopRelay(child);

  const relayCpuS = p1.cpuS - p0.cpuS;
  const messages = counter.samples.map((b) => fromBinary(GetFlowsResponseSchema, b));
  return {
    rate,
    flowsPerS: flows / elapsed,
    lost,
    relayCpu: relayCpuS / elapsed,
    clientCpu: (c.user + c.system) / 1e6 / elapsed,
    rssMb: p1.rssMb,
    flowsPerCpuS: flows / relayCpuS,
    baseline: toBinaryBaseline(messages),
  };
}

async function main(): Promise<void> {
  const loadBefore = readFileSync("/proc/loadavg", "utf8").trim();
  const rows: Row[] = [];
  for (const rate of rates) {
    const row = await measure(rate);
    rows.push(row);
    process.stderr.write(`rate ${rate}: ${Math.round(row.flowsPerS)} flows/s\n`);
  }
  const loadAfter = readFileSync("/proc/loadavg", "utf8").trim();

  const out: string[] = [];
  out.push(`scenario ${values.scenario}, ${seconds} s window after ${warmupS} s warm-up, one raw (non-decoding) follow client`);
  out.push(`load average (1/5/15 min) before: ${loadBefore.split(" ").slice(0, 3).join(" ")}, after: ${loadAfter.split(" ").slice(0, 3).join(" ")}`);
  out.push("");
  out.push(
    "| rate (events/s) | received flows/s | delivered / rate | lost-events notices | relay CPU (cores) | relay RSS MB | client CPU (cores) | relay flows per CPU-s | toBinary flows per CPU-s | relay / toBinary |",
  );
  out.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    out.push(
      `| ${r.rate} | ${Math.round(r.flowsPerS)} | ${(r.flowsPerS / r.rate).toFixed(2)} | ${r.lost} | ${r.relayCpu.toFixed(2)} | ${Math.round(r.rssMb)} | ${r.clientCpu.toFixed(2)} | ${Math.round(r.flowsPerCpuS)} | ${Math.round(r.baseline)} | ${(r.flowsPerCpuS / r.baseline).toFixed(1)}× |`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  process.exit(0);
}

void main();
