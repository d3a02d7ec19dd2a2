// npm run bench:history — the flow history: recording rate, CPU and bytes on disk per flow, and
// query times. Not a test: run it on a quiet machine; short runs are fine and say so.
//
// 0. Recorder CPU per flow, without a relay: flows captured once from the demo relay (their wire
//    bytes) are fed to a FlowRecorder through a FlowSource that yields them as fast as it takes
//    them, decoded as the relay client decodes them. CPU time per flow does not depend on what else
//    the machine runs, so this holds on a busy machine where the wall-clock run below does not.
// 1. Record: the demo relay CLI runs as a child process at --rate (default 20,000 flows/s), and
//    this process records it (FlowRecorder → store), as the server does. Reported per keep mode:
//    flows/s written, whether the recorder kept up (lag, backlog, lost events), this process's
//    CPU (share of one core: the recorder's whole cost, relay client included), and bytes on disk
//    per flow received (SQLite: the file and its WAL; ClickHouse: compressed parts).
// 2. Query: on the store the recording filled, then grown with synthetic flows (written straight
//    to the store, copies of recorded flows with new uuids and times) up to --fill flows: drops in
//    one namespace over the whole span (edge counts), the map of the last hour (edge counts of
//    every edge), one flow by uuid, and the first 20,000 flows of a 10-minute window.
//
// Options: --rate 20000 --seconds 20 --warmup 3 --store sqlite|clickhouse|both --fill 2000000
//          --modes all,rollup
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { GetFlowsDecoder } from "@/server/grpc/raw-flows";
import { RelayClient, type FlowSource } from "@/server/relay-client/relay-client";
import { openClickHouseFlowStore } from "@/server/flow-store/clickhouse";
import { FlowRecorder } from "@/server/flow-store/recorder";
import { openSqliteFlowStore, FLOW_STORE_FILE } from "@/server/flow-store/sqlite";
import type { FlowRecord, FlowStore, KeepMode } from "@/server/flow-store/store";
import { startTestClickHouse, type TestClickHouse } from "@/server/flow-store/testing/clickhouse";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "20000" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    store: { type: "string", default: "sqlite" },
    fill: { type: "string", default: "2000000" },
    modes: { type: "string", default: "all,rollup" },
    captured: { type: "string", default: "100000" },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupS = Number(values.warmup);
const fill = Number(values.fill);
const stores = values.store === "both" ? ["sqlite", "clickhouse"] : [values.store];
const modes = values.modes.split(",") as KeepMode[];

function startRelay(): Promise<{ child: ChildProcess; address: string }> {
  return startRelayWith(["--rate", String(rate), "--buffer", "4095"]);
}

function startRelayWith(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "server/demo-relay/cli.ts", "--port", "0", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
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

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function sqliteBytes(dir: string): number {
  let n = 0;
  for (const suffix of ["", "-wal"]) {
    const f = join(dir, FLOW_STORE_FILE + suffix);
    if (existsSync(f)) n += statSync(f).size;
  }
  return n;
}

interface Opened {
  store: FlowStore;
  bytes(): Promise<number>;
  cleanup(): Promise<void>;
}

let clickhouse: TestClickHouse | undefined;
let chDb = 0;

async function openStore(kind: string): Promise<Opened> {
  if (kind === "clickhouse") {
    clickhouse ??= await startTestClickHouse();
    const store = await openClickHouseFlowStore(clickhouse.url(`bench_${process.pid}_${++chDb}`));
    return { store, bytes: async () => (await store.usage()).bytes, cleanup: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-bench-history-"));
  const store = openSqliteFlowStore(dir);
  return {
    store,
    bytes: async () => sqliteBytes(dir),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function record(kind: string, mode: KeepMode): Promise<Opened & { samples: FlowRecord[] }> {
  const relay = await startRelay();
  // As the runtime's recorder: its own connection, flows without their JSON.
  const client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 5000, requestTimeoutMs: 5000 }, { flowJson: false });
  const opened = await openStore(kind);
  const samples: FlowRecord[] = [];
  const recorder = new FlowRecorder({
    source: client,
    // The recorder calls these two; a few records are kept to grow the store synthetically later.
    store: {
      write: (flows: readonly FlowRecord[]) => {
        if (samples.length < 5000) samples.push(...flows.slice(0, 5000 - samples.length));
        return opened.store.write(flows);
      },
      newestTimeNs: () => opened.store.newestTimeNs(),
    } as unknown as FlowStore,
    mode,
  });
  await recorder.start();
  await sleep(warmupS * 1000);
  const s0 = recorder.status;
  const c0 = cpuS();
  const t0 = performance.now();
  let maxPending = 0;
  let maxLagMs = 0;
  for (let i = 0; i < seconds * 10; i++) {
    await sleep(100);
    const s = recorder.status;
    maxPending = Math.max(maxPending, s.pending);
    if (s.newestMs !== null) maxLagMs = Math.max(maxLagMs, Date.now() - s.newestMs);
  }
  const s1 = recorder.status;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (cpuS() - c0) / elapsed;
  await stop(relay.child);
  await recorder.stop();
  client.close();
  const usage = await opened.store.usage();
  const bytes = await opened.bytes();
  const received = recorder.status.received;
  console.log(
    `${kind.padEnd(10)} ${mode.padEnd(6)} | received ${((s1.received - s0.received) / elapsed).toFixed(0)}/s, written ${((s1.written - s0.written) / elapsed).toFixed(0)}/s` +
      ` | recorder CPU ${(cpu * 100).toFixed(0)}% of a core | max backlog ${maxPending} flows, max lag ${(maxLagMs / 1000).toFixed(1)} s, lost ${s1.lostEvents}` +
      ` | ${usage.flows} kept of ${received} received, ${usage.rollupRows} rollup rows | ${bytes} bytes = ${(bytes / received).toFixed(1)} B/flow received`,
  );
  return { ...opened, samples };
}

/** Grows the store to `target` flows with copies of recorded flows (new uuids, times going on at `rate`). */
async function grow(store: FlowStore, samples: FlowRecord[], target: number): Promise<{ firstNs: bigint; lastNs: bigint }> {
  const have = (await store.usage()).flows;
  let t = (await store.newestTimeNs()) ?? BigInt(Date.now()) * 1_000_000n;
  const firstNs = t;
  const step = BigInt(Math.round(1e9 / rate));
  let n = 0;
  const started = performance.now();
  while (have + n < target) {
    const batch: FlowRecord[] = [];
    for (let i = 0; i < 20_000 && have + n < target; i++, n++) {
      const s = samples[n % samples.length];
      t += step;
      batch.push({ ...s, key: uuidOf(n), timeNs: t, keep: true });
    }
    await store.write(batch);
  }
  const s = (performance.now() - started) / 1000;
  if (n > 0) console.log(`  grew by ${n} synthetic flows in ${s.toFixed(1)} s (${(n / s).toFixed(0)} flows/s written straight to the store)`);
  return { firstNs, lastNs: t };
}

function uuidOf(n: number): string {
  const h = (n + 0x10000000).toString(16).padStart(12, "0");
  return `bbbbbbbb-0000-4000-8000-${h}`;
}

async function time<T>(what: string, fn: () => Promise<T>, runs = 3): Promise<T> {
  let best = Infinity;
  let result: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await fn();
    best = Math.min(best, performance.now() - t);
  }
  console.log(`  ${what}: ${best.toFixed(1)} ms (best of ${runs})`);
  return result as T;
}

async function queries(opened: Opened, samples: FlowRecord[]): Promise<void> {
  const { store } = opened;
  await grow(store, samples, fill);
  const usage = await store.usage();
  const bytes = await opened.bytes();
  const spanS = usage.oldestNs !== null && usage.newestNs !== null ? Number((usage.newestNs - usage.oldestNs) / 1_000_000_000n) : 0;
  console.log(`  store: ${usage.flows} flows over ${spanS} s, ${usage.rollupRows} rollup rows, ${bytes} bytes (${(bytes / Math.max(1, usage.flows)).toFixed(1)} B/flow)`);
  const newestMs = Number(usage.newestNs! / 1_000_000n);
  const oldestMs = Number(usage.oldestNs! / 1_000_000n);
  const ns = samples.find((s) => s.edge.verdict === "DROPPED")?.edge.dstNamespace ?? samples[0].edge.dstNamespace;
  await time(`drops in namespace ${ns} over the whole span (edge counts)`, () => store.edgeCounts({ sinceMs: oldestMs, untilMs: newestMs, verdicts: ["DROPPED"], namespace: ns }));
  await time("the map of the last hour (edge counts of every edge)", () => store.edgeCounts({ sinceMs: newestMs - 3_600_000, untilMs: newestMs }));
  const probe = uuidOf(Math.floor((fill - usage.flows / 2) / 2));
  await time("one flow by uuid (no time range)", () => store.flowByKey(probe));
  await time("the first 20,000 flows of a 10-minute window", async () => {
    let n = 0;
    for await (const _ of store.flows({ sinceNs: usage.oldestNs!, untilNs: usage.oldestNs! + 600n * 1_000_000_000n, limit: 20_000 })) n++;
    return n;
  });
}

/** Wire bytes of `n` flows from a demo relay (rings big enough to hold them), each with its own uuid. */
async function capture(n: number): Promise<Uint8Array[]> {
  const relay = await startRelayWith(["--buffer", "65535", "--rate", "5000"]);
  const client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 5000, requestTimeoutMs: 60000 });
  const out: Uint8Array[] = [];
  await sleep(2000);
  for await (const r of client.getFlows(create(GetFlowsRequestSchema, { number: BigInt(Math.ceil(n / 4)) }))) {
    if (r.responseTypes.case === "flow" && out.length < n) out.push(toBinary(GetFlowsResponseSchema, r));
  }
  client.close();
  await stop(relay.child);
  return out;
}

/** Feeds captured flows once, as fast as the consumer takes them, then waits (a follow stream that went quiet). */
function capturedSource(flows: readonly Uint8Array[]): FlowSource {
  return {
    async *getFlows(_req, opts) {
      opts?.onConnected?.();
      const decoder = new GetFlowsDecoder({ json: false });
      for (const bytes of flows) {
        if (opts?.signal?.aborted) return;
        yield decoder.decode(bytes);
      }
      await new Promise<void>((resolve) => opts?.signal?.addEventListener("abort", () => resolve(), { once: true }));
    },
  };
}

async function recorderCpu(kind: string, mode: KeepMode, flows: readonly Uint8Array[]): Promise<void> {
  const opened = await openStore(kind);
  const recorder = new FlowRecorder({ source: capturedSource(flows), store: opened.store, mode });
  const c0 = cpuS();
  const t0 = performance.now();
  await recorder.start();
  while (recorder.status.received < flows.length) await sleep(20);
  await recorder.drain();
  const cpu = cpuS() - c0;
  const wall = (performance.now() - t0) / 1000;
  await recorder.stop();
  const usage = await opened.store.usage();
  const bytes = await opened.bytes();
  const perFlowUs = (cpu / flows.length) * 1e6;
  console.log(
    `${kind.padEnd(10)} ${mode.padEnd(6)} | ${flows.length} captured flows recorded in ${wall.toFixed(1)} s: ${perFlowUs.toFixed(1)} µs CPU per flow` +
      ` → ${((perFlowUs * 20_000) / 1e4).toFixed(0)} % of a core at 20,000 flows/s | ${usage.flows} kept, ${usage.rollupRows} rollup rows, ${(bytes / flows.length).toFixed(1)} B/flow on disk`,
  );
  await opened.cleanup();
}

async function main(): Promise<void> {
  const captured = Number(values.captured);
  if (captured > 0) {
    console.log(`recorder CPU per flow, ${captured} captured demo flows (no relay running):`);
    const flows = await capture(captured);
    for (const kind of stores) for (const mode of modes) await recorderCpu(kind, mode, flows);
  }
  console.log(`bench:history — demo relay at ${rate} flows/s, ${seconds} s measured after ${warmupS} s warm-up; stores: ${stores.join(", ")}`);
  for (const kind of stores) {
    for (const mode of modes) {
      const opened = await record(kind, mode);
      if (mode === "all" && fill > 0) await queries(opened, opened.samples);
      await opened.cleanup();
    }
  }
  await clickhouse?.stop();
}

void main().catch((err) => {
  console.error(err);
  void clickhouse?.stop();
  process.exitCode = 1;
});
