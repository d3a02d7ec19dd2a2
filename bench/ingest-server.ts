// The Hubble Lens stream path alone, as a process the ingest benchmark can measure: the runtime
// (relay client, live feeds, hub) and GET /api/flows, over node:http. HUBBLE_RELAY_ADDR names the
// relay; the port comes from BENCH_PORT (0 = any; the chosen port is printed). GET /metrics is
// the Prometheus text, for the flows the server received.
import { createServer } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { loadServerConfig } from "@/server/config/env";
import { flowStreamResponse } from "@/server/http/flow-stream";
import { getMetrics } from "@/server/metrics";
import { createRuntime } from "@/server/runtime";

async function main(): Promise<void> {
  const runtime = await createRuntime(loadServerConfig(process.env));
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      // How many relay flows the server's thread took in (every upstream stream): the benchmark's
      // "server processed" column, which the flow budget to each client no longer shows.
      void getMetrics()
        .text()
        .then((text) => res.end(text));
      return;
    }
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const request = new Request(`http://localhost${req.url ?? "/"}`, { signal: controller.signal });
    const response = flowStreamResponse(request, runtime.hub);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return res.end();
    Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>).pipe(res);
  });
  server.listen(Number(process.env.BENCH_PORT ?? 0), "127.0.0.1", () => {
    const addr = server.address();
    process.stdout.write(`listening ${typeof addr === "object" && addr ? addr.port : ""}\n`);
  });
}

// Exit through process.exit so `--cpu-prof` writes its profile.
process.on("SIGINT", () => process.exit(0));

void main();
