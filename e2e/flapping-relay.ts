// A demo relay that a test restarts on command: "stop" closes it as a crash would (every
// connection destroyed), "start" starts a new one on the same port (a new simulation, started
// now: new uuids). Each answers "stopped" / "listening" on stdout. One process for all runs,
// because starting a fresh one through tsx takes ~10 s on a busy CI machine, longer than the
// runs it should simulate.
//
// node --conditions=react-server --import tsx e2e/flapping-relay.ts --port 3130 [--rate 100]
// [--module <checkout>/server/demo-relay/index.ts: another checkout's demo relay, for bench:abuse]
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { RunningDemoRelay, startDemoRelay as StartDemoRelay } from "../server/demo-relay";

const { values } = parseArgs({
  options: { port: { type: "string" }, rate: { type: "string", default: "100" }, seed: { type: "string", default: "7" }, module: { type: "string" } },
});
const loaded = import(values.module ?? "../server/demo-relay") as Promise<{ startDemoRelay: typeof StartDemoRelay }>;
const port = Number(values.port);
let relay: RunningDemoRelay | undefined;

async function start(): Promise<void> {
  const { startDemoRelay } = await loaded;
  relay ??= await startDemoRelay({ port, scenario: "shop", seed: Number(values.seed), rate: Number(values.rate) });
  process.stdout.write(`listening ${relay.address}\n`);
}

async function stop(): Promise<void> {
  await relay?.close();
  relay = undefined;
  process.stdout.write("stopped\n");
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue.then(() => (line.trim() === "stop" ? stop() : line.trim() === "start" ? start() : undefined));
});
process.stdin.on("end", () => void queue.then(stop).then(() => process.exit(0)));
void start();
