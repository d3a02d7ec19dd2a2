// Follows a relay with RelayClient.getFlowBatches and prints responses/s, batches/s and this
// process's CPU a response (docs/benchmarks.md, bench:ingest, session 11). Against the demo relay
// in a process of its own:
//
//   npm run demo-relay -- --port 4399 --scenario large --rate 20000 &
//   node --conditions=react-server --import tsx bench/follow-batches.ts 127.0.0.1:4399 10
import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { RelayClient } from "@/server/relay-client/relay-client";

async function main(): Promise<void> {
  const [address = "127.0.0.1:4245", secs = "10"] = process.argv.slice(2);
  const seconds = Number(secs);
  const client = new RelayClient({ address, tls: null, dialTimeoutMs: 5000, requestTimeoutMs: 5000 });
  const abort = new AbortController();
  let responses = 0;
  let batches = 0;
  const following = (async () => {
    for await (const batch of client.getFlowBatches(create(GetFlowsRequestSchema, { follow: true }), { signal: abort.signal })) {
      batches++;
      responses += batch.length;
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  await new Promise((r) => setTimeout(r, 3000)); // past the connection and the first burst
  const [r0, b0, c0] = [responses, batches, process.cpuUsage()];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(c0);
  const [n, b] = [responses - r0, batches - b0];
  console.log(
    `responses/s ${(n / seconds).toFixed(0)}, batches/s ${(b / seconds).toFixed(0)}, mean batch ${(n / b).toFixed(1)}, CPU µs a response ${((cpu.user + cpu.system) / n).toFixed(1)}`,
  );
  abort.abort();
  await following;
  client.close();
}

void main();
