import "server-only";

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startDemoRelay, type DemoRelayOptions } from "./index";

const USAGE = `Usage: npm run demo-relay -- [options]

Runs the Hubble Lens demo relay: a gRPC server speaking Hubble Relay's observer.Observer API
over a simulated cluster or a recorded capture. Point any Hubble client at it, e.g.
  hubble observe --server localhost:4245 --follow

Options:
  --host HOST               address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --port PORT               port to listen on (default 4245, Hubble Relay's port)
  --scenario NAME|PATH      traffic scenario: shop (default), starwars, or a scenario file
  --rate N                  cluster-wide events per second (default 200)
  --seed N                  random seed; the same seed gives the same traffic (default 7)
  --replay FILE             serve a 'hubble observe -o jsonpb' capture instead of a scenario
  --loop                    with --replay: play the capture in real time, over and over
  --buffer N                per-node ring buffer capacity, 2^n-1 (default 4095)
  --tls-cert-file FILE      serve TLS with this certificate ...
  --tls-key-file FILE       ... and key
  --tls-client-ca-files F   require client certificates signed by these CAs (comma-separated)
  -h, --help                show this help`;

function fail(message: string): never {
  process.stderr.write(`demo-relay: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || !/^\d+(\.\d+)?$/.test(value)) fail(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    fail(`--${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        host: { type: "string" },
        port: { type: "string" },
        scenario: { type: "string" },
        rate: { type: "string" },
        seed: { type: "string" },
        replay: { type: "string" },
        loop: { type: "boolean" },
        buffer: { type: "string" },
        "tls-cert-file": { type: "string" },
        "tls-key-file": { type: "string" },
        "tls-client-ca-files": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (v.scenario && v.replay) fail("--scenario and --replay exclude each other");
  if (v.loop && !v.replay) fail("--loop only applies to --replay");
  const certFile = v["tls-cert-file"];
  const keyFile = v["tls-key-file"];
  if (Boolean(certFile) !== Boolean(keyFile)) fail("--tls-cert-file and --tls-key-file go together");
  const caFiles = v["tls-client-ca-files"]?.split(",").filter(Boolean) ?? [];
  if (caFiles.length > 0 && !certFile) fail("--tls-client-ca-files needs --tls-cert-file and --tls-key-file");

  const opts: DemoRelayOptions = {
    host: v.host ?? "127.0.0.1",
    port: intOption("port", v.port, 4245),
    scenario: v.scenario,
    replay: v.replay,
    loop: v.loop,
    rate: intOption("rate", v.rate, 200),
    seed: intOption("seed", v.seed, 7),
    bufferCapacity: intOption("buffer", v.buffer, 4095),
    tls:
      certFile && keyFile
        ? {
            certPem: readFile("tls-cert-file", certFile),
            keyPem: readFile("tls-key-file", keyFile),
            caPem: caFiles.length > 0 ? Buffer.concat(caFiles.map((f) => readFile("tls-client-ca-files", f))) : undefined,
            requireClientCert: caFiles.length > 0,
          }
        : undefined,
  };
  let relay;
  try {
    relay = await startDemoRelay(opts);
  } catch (err) {
    fail((err as Error).message);
  }
  const what = opts.replay ? `replaying ${opts.replay}${opts.loop ? " in a loop" : ""}` : `scenario ${opts.scenario ?? "shop"}, ${opts.rate} events/s, seed ${opts.seed}`;
  process.stdout.write(`demo relay listening on ${relay.address} (${what}; ${relay.cluster.nodes.length} nodes)\n`);
  const shutdown = () => {
    void relay.close().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

void main();
