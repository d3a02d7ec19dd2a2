import "server-only";
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { LostEventSchema, LostEventSource } from "../../../proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "../../../proto/gen/observer/observer_pb";
import type { Scenario } from "../scenario/schema";
import { ConnectionGenerator } from "./connection";
import { emitterFor, timestamp } from "./flows";
import { compilePatterns, type PatternTemplate } from "./patterns";
import { fnv1a, Prng, WeightedTable } from "./prng";
import { PatternRunner } from "./runner";
import { Topology } from "./topology";

// The demo relay's traffic source. The whole event sequence (content, uuids, times) is a
// pure function of (scenario, seed, rate, epochNs): connections start as a Poisson process
// drawn from one generator, each connection's events are generated eagerly in start order
// and released from a (time, sequence) heap, so the step sizes of advanceTo don't matter.
//
// Patterns marked with another `stream` than "main" run on a generator and arrival process of
// their own, merged into the same heap: a namespace added that way leaves the flows of every
// other pattern as they were for the seed. `rate` is the main stream's; another stream starts
// connections at the main stream's connection rate times its share of weight (its weights'
// sum over the main stream's).

export type SimulatedEvent = { nodeName: string; response: GetFlowsResponse };
export type SimulatorOptions = { seed: number; rate: number; epochNs: bigint };
export type SimulatedNode = { name: string; address: string; labels: string[] };

type Pending = { t: number; seq: number; response: GetFlowsResponse };

/** An independent pattern stream besides the main one. */
type ExtraStream = { rng: Prng; runner: PatternRunner; table: WeightedTable<PatternTemplate>; meanGapNs: number; nextStart: number };

/** Probability that a connection start also reports a lost-events notice on some node. */
const LOST_EVENT_CHANCE = 1 / 5000;
const ESTIMATE_RUNS_PER_PATTERN = 48;

export class TrafficSimulator {
  readonly nodes: SimulatedNode[];
  readonly topology: Topology;
  private readonly rng: Prng;
  private readonly runner: PatternRunner;
  private readonly table: WeightedTable<PatternTemplate>;
  private readonly meanGapNs: number;
  private readonly eventsPerConnection: number;
  private readonly extraStreams: ExtraStream[] = [];
  private readonly heap: Pending[] = [];
  private seq = 0;
  private nextStart: number;
  private lastNow = Number.NEGATIVE_INFINITY;
  private readonly epochSec: bigint;
  private readonly epochRem: number;
  private cachedSecOff = Number.NaN;
  private cachedSec = 0n;

  constructor(
    readonly scenario: Scenario,
    private readonly opts: SimulatorOptions,
  ) {
    if (!(opts.rate > 0)) throw new Error("rate must be a positive number of flows per second");
    this.topology = new Topology(scenario);
    this.nodes = this.topology.nodes.map((n) => ({ name: n.flowName, address: `${n.ip}:4244`, labels: n.labels }));
    this.epochSec = opts.epochNs / 1_000_000_000n;
    this.epochRem = Number(opts.epochNs % 1_000_000_000n);
    const emitter = emitterFor(scenario.hubbleVersion);
    const all = compilePatterns(scenario, this.topology);
    const streams = new Map<string, PatternTemplate[]>([["main", []]]);
    for (const p of all) {
      const list = streams.get(p.spec.stream);
      if (list) list.push(p);
      else streams.set(p.spec.stream, [p]);
    }
    const patterns = streams.get("main")!;
    if (patterns.length === 0) throw new Error(`scenario ${scenario.name}: the main stream needs at least one pattern`);
    this.table = new WeightedTable(
      patterns,
      patterns.map((p) => p.spec.weight),
    );

    this.rng = new Prng(opts.seed >>> 0, 1);
    // uuids depend on the start (epoch) too: the same seed gives the same traffic, never the same uuids twice.
    const uuidSalt = new Prng((opts.seed ^ fnv1a(`uuid:${opts.epochNs}`)) >>> 0, 0x75756964);
    const gen = new ConnectionGenerator(
      this.topology,
      emitter,
      (t) => this.clock(t),
      (t, r) => this.push(t, r),
      this.rng,
      uuidSalt,
    );
    this.runner = new PatternRunner(gen);

    const eventsPerConnection = estimateEventsPerConnection(this.topology, emitter, patterns, opts.seed);
    this.eventsPerConnection = eventsPerConnection;
    this.meanGapNs = (1e9 * eventsPerConnection) / opts.rate;
    this.nextStart = this.rng.exp(this.meanGapNs);

    const mainWeight = weightOf(patterns);
    for (const [name, list] of streams) {
      if (name === "main") continue;
      const rng = new Prng(opts.seed >>> 0, fnv1a(`stream:${name}`));
      // Salted per run like the main stream's, or a restart would repeat this stream's uuids.
      const salt = new Prng((opts.seed ^ fnv1a(`uuid:${name}:${opts.epochNs}`)) >>> 0, 0x75756964);
      const runner = new PatternRunner(
        new ConnectionGenerator(
          this.topology,
          emitter,
          (t) => this.clock(t),
          (t, r) => this.push(t, r),
          rng,
          salt,
        ),
      );
      const meanGapNs = this.meanGapNs * (mainWeight / weightOf(list));
      const table = new WeightedTable(
        list,
        list.map((p) => p.spec.weight),
      );
      this.extraStreams.push({ rng, runner, table, meanGapNs, nextStart: rng.exp(meanGapNs) });
    }
  }

  /** Every event with time in (previous now, nowNs], in non-decreasing time order. */
  advanceTo(nowNs: bigint): SimulatedEvent[] {
    const now = Number(nowNs - this.opts.epochNs);
    if (now <= this.lastNow) return [];
    this.lastNow = now;
    while (this.nextStart <= now) {
      this.startConnection(Math.ceil(this.nextStart));
      this.nextStart += this.rng.exp(this.meanGapNs);
    }
    for (const s of this.extraStreams) {
      while (s.nextStart <= now) {
        s.runner.run(s.table.pick(s.rng), Math.ceil(s.nextStart));
        s.nextStart += s.rng.exp(s.meanGapNs);
      }
    }
    const out: SimulatedEvent[] = [];
    const heap = this.heap;
    while (heap.length > 0 && heap[0].t <= now) {
      const e = popMin(heap);
      out.push({ nodeName: e.response.nodeName, response: e.response });
    }
    return out;
  }

  /**
   * Moves time to `nowNs` without starting the connections that would have started in between, as
   * a node too busy to keep up loses events rather than falling behind the clock: each node
   * reports its share of the events it would have seen as lost (its observer's events queue
   * overflowed), at `nowNs`. Connections already started keep their events. The arrival
   * processes are Poisson, so restarting them at `nowNs` draws exactly what starts after it.
   * Returns how many events were lost (estimated from the mean events per connection).
   */
  skipTo(nowNs: bigint): number {
    const now = Number(nowNs - this.opts.epochNs);
    if (now <= this.lastNow) return 0;
    let connections = 0;
    if (this.nextStart <= now) {
      connections += (now - this.nextStart) / this.meanGapNs + 1;
      this.nextStart = now + this.rng.exp(this.meanGapNs);
    }
    for (const s of this.extraStreams) {
      if (s.nextStart > now) continue;
      connections += (now - s.nextStart) / s.meanGapNs + 1;
      s.nextStart = now + s.rng.exp(s.meanGapNs);
    }
    const lost = Math.round(connections * this.eventsPerConnection);
    const nodes = this.topology.nodes;
    const from = this.clock(Math.max(0, this.lastNow));
    const at = this.clock(now);
    for (const [i, node] of nodes.entries()) {
      const share = Math.floor(lost / nodes.length) + (i < lost % nodes.length ? 1 : 0);
      if (share === 0) continue;
      const value = create(LostEventSchema, { source: LostEventSource.OBSERVER_EVENTS_QUEUE, numEventsLost: BigInt(share), first: from, last: at });
      this.push(now, { $typeName: "observer.GetFlowsResponse", responseTypes: { case: "lostEvents", value }, nodeName: node.flowName, time: at });
    }
    return lost;
  }

  private startConnection(t0: number): void {
    if (this.rng.chance(LOST_EVENT_CHANCE)) this.lostEvent(t0);
    this.runner.run(this.table.pick(this.rng), t0);
  }

  private lostEvent(t: number): void {
    const rng = this.rng;
    const node = rng.pick(this.topology.nodes);
    const perf = rng.chance(0.7);
    const lost = create(LostEventSchema, {
      source: perf ? LostEventSource.PERF_EVENT_RING_BUFFER : LostEventSource.OBSERVER_EVENTS_QUEUE,
      numEventsLost: BigInt(rng.int(1, 40)),
      cpu: perf ? rng.int(0, 3) : undefined,
      first: this.clock(Math.max(0, t - rng.int(1, 900) * 1_000_000)),
      last: this.clock(t),
    });
    this.push(t, { $typeName: "observer.GetFlowsResponse", responseTypes: { case: "lostEvents", value: lost }, nodeName: node.flowName, time: this.clock(t) });
  }

  private push(t: number, response: GetFlowsResponse): void {
    pushHeap(this.heap, { t, seq: this.seq++, response });
  }

  private clock(t: number): Timestamp {
    const total = this.epochRem + t;
    const secOff = Math.floor(total / 1e9);
    if (secOff !== this.cachedSecOff) {
      this.cachedSecOff = secOff;
      this.cachedSec = this.epochSec + BigInt(secOff);
    }
    return timestamp(this.cachedSec, total - secOff * 1e9);
  }
}

/** Mean events per connection start, from a dry run on a private generator (deterministic). */
function estimateEventsPerConnection(topo: Topology, emitter: ReturnType<typeof emitterFor>, patterns: PatternTemplate[], seed: number): number {
  let count = 0;
  const zero = timestamp(0n, 0);
  const gen = new ConnectionGenerator(
    topo,
    emitter,
    () => zero,
    () => count++,
    new Prng(seed >>> 0, 0x5eed),
  );
  const runner = new PatternRunner(gen);
  let weighted = 0;
  let weights = 0;
  for (const p of patterns) {
    count = 0;
    for (let i = 0; i < ESTIMATE_RUNS_PER_PATTERN; i++) runner.run(p, 0);
    weighted += p.spec.weight * (count / ESTIMATE_RUNS_PER_PATTERN);
    weights += p.spec.weight;
  }
  return weighted / weights + LOST_EVENT_CHANCE;
}

function weightOf(patterns: readonly PatternTemplate[]): number {
  return patterns.reduce((sum, p) => sum + p.spec.weight, 0);
}

function less(a: Pending, b: Pending): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

function pushHeap(h: Pending[], e: Pending): void {
  let i = h.length;
  h.push(e);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!less(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

function popMin(h: Pending[]): Pending {
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r], h[l]) ? r : l;
      if (!less(h[c], last)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
  return top;
}
