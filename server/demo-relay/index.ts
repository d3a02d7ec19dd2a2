import "server-only";

import type { EpochNs } from "@/lib/timestamp";
import { DemoCluster } from "./cluster";
import { createClock } from "./clock";
import { type GrpcMethods, startGrpcServer } from "./grpc-server";
import { healthMethods } from "./health-service";
import { observerMethods } from "./observer-service";
import { ReplayFeeder } from "./replay-feeder";
import { loadScenario } from "./scenario";
import { SimulationFeeder } from "./simulation-feeder";
import { TrafficSimulator } from "./simulator";

export const DEFAULT_BUFFER_CAPACITY = 4095;
const DEFAULT_HISTORY_S = 30;
/** History beyond what fits in the rings is generated only to be overwritten: at high rates, less. */
const HISTORY_RING_FILLS = 4;
const RELAY_NODE_NAME = "hubble-lens-demo-relay";

export interface DemoRelayTls {
  readonly certPem: string | Buffer;
  readonly keyPem: string | Buffer;
  /** CA that client certificates must chain to; with `requireClientCert`, the relay demands mTLS. */
  readonly caPem?: string | Buffer;
  readonly requireClientCert?: boolean;
}

export interface DemoRelayOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Scenario name (a file in server/demo-relay/scenarios) or path; default "shop". */
  readonly scenario?: string;
  /** Serve a recorded capture instead of a scenario. */
  readonly replay?: string;
  readonly loop?: boolean;
  /** Cluster-wide events per second. */
  readonly rate?: number;
  readonly seed?: number;
  /** Simulation start. The same scenario, seed, rate and epoch give the same flows with the same uuids. */
  readonly epochNs?: EpochNs;
  /** Per-node ring capacity, as `hubble-event-buffer-capacity`. */
  readonly bufferCapacity?: number;
  readonly tls?: DemoRelayTls;
  readonly now?: () => EpochNs;
}

export interface RunningDemoRelay {
  /** host:port to dial. */
  readonly address: string;
  readonly port: number;
  readonly cluster: DemoCluster;
  /** When it started: a replay's first pass ends here, the simulation's history runs up to here. */
  readonly startedAtNs: EpochNs;
  close(): Promise<void>;
}

export class DemoRelayOptionError extends Error {
  override name = "DemoRelayOptionError";
}

/**
 * Starts the embedded demo relay: a real gRPC server speaking observer.Observer over a simulated
 * cluster (or a replayed capture), for development, tests and demos without a cluster.
 */
export async function startDemoRelay(opts: DemoRelayOptions = {}): Promise<RunningDemoRelay> {
  const now = opts.now ?? createClock();
  const capacity = opts.bufferCapacity ?? DEFAULT_BUFFER_CAPACITY;
  validateCapacity(capacity);
  const rate = opts.rate ?? 200;
  if (!(rate > 0 && Number.isFinite(rate))) throw new DemoRelayOptionError(`--rate must be a positive number, got ${rate}`);

  const cluster = new DemoCluster(capacity, now);
  const startedAtNs = now();
  let feeder: { start(): void; stop(): void };
  if (opts.replay) {
    feeder = new ReplayFeeder(opts.replay, cluster, now, opts.loop ?? false);
  } else {
    const scenario = loadScenario(opts.scenario ?? "shop");
    const epochNs = opts.epochNs ?? startedAtNs - BigInt(defaultHistoryS(capacity, scenario.nodes.length, rate)) * 1_000_000_000n;
    const simulator = new TrafficSimulator(scenario, { seed: opts.seed ?? 7, rate, epochNs });
    feeder = new SimulationFeeder(simulator, cluster, now);
  }

  const host = opts.host ?? "127.0.0.1";
  // Relay serves grpc.health.v1 on its API port too (`hubble status` needs it).
  const methods = mergeMethods(observerMethods({ cluster, relayNodeName: RELAY_NODE_NAME, now, startedAtNs }), healthMethods({ cluster }));
  const server = await startGrpcServer(methods, {
    host,
    port: opts.port ?? 0,
    tls: opts.tls,
  });
  const port = server.port;
  feeder.start();

  return {
    address: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    cluster,
    startedAtNs,
    close: async () => {
      feeder.stop();
      await server.close();
    },
  };
}

function mergeMethods(...services: GrpcMethods[]): GrpcMethods {
  return {
    unary: new Map(services.flatMap((s) => [...s.unary])),
    serverStreaming: new Map(services.flatMap((s) => [...s.serverStreaming])),
  };
}

/**
 * Seconds of simulated history at start: 30, or, when the rings cannot hold that much (at 50,000
 * events/s a 4095-entry ring per node holds well under a second), enough to fill them a few times
 * over. Catching up on 30 s at 50k/s would take as long as it simulates, to be thrown away.
 */
function defaultHistoryS(capacity: number, nodes: number, rate: number): number {
  return Math.min(DEFAULT_HISTORY_S, Math.max(1, Math.ceil((HISTORY_RING_FILLS * capacity * nodes) / rate)));
}

function validateCapacity(capacity: number): void {
  // Hubble requires 2^n - 1 (container.Capacity*).
  if (!Number.isInteger(capacity) || capacity < 1 || ((capacity + 1) & capacity) !== 0 || capacity > 65535) {
    throw new DemoRelayOptionError(`buffer capacity must be 2^n-1 between 1 and 65535 (e.g. 4095, as hubble-event-buffer-capacity), got ${capacity}`);
  }
}
