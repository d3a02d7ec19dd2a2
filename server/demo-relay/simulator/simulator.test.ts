import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { FlowSchema, LostEventSource } from "../../../proto/gen/flow/flow_pb";
import { GetFlowsResponseSchema } from "../../../proto/gen/observer/observer_pb";
import { loadScenario } from "../scenario/load";
import { type SimulatedEvent, TrafficSimulator } from "./simulator";

const EPOCH = 1_760_000_000_000_000_000n;
const SECOND = 1_000_000_000n;
const starwars = loadScenario("starwars");
const shop = loadScenario("shop");

function run(sim: TrafficSimulator, seconds: number, stepMs: number): SimulatedEvent[] {
  const out: SimulatedEvent[] = [];
  const end = EPOCH + BigInt(seconds) * SECOND;
  for (let t = EPOCH; t < end;) {
    t += BigInt(stepMs) * 1_000_000n;
    if (t > end) t = end;
    out.push(...sim.advanceTo(t));
  }
  return out;
}

const json = (events: SimulatedEvent[]) => events.map((e) => JSON.stringify(toJson(GetFlowsResponseSchema, e.response, { useProtoFieldName: true })));

const nanos = (e: SimulatedEvent) => e.response.time!.seconds * SECOND + BigInt(e.response.time!.nanos);

describe("TrafficSimulator", () => {
  it("is a pure function of (scenario, seed, rate, epoch)", () => {
    const a = json(run(new TrafficSimulator(shop, { seed: 3, rate: 400, epochNs: EPOCH }), 5, 100)).slice(0, 500);
    const b = json(run(new TrafficSimulator(shop, { seed: 3, rate: 400, epochNs: EPOCH }), 5, 100)).slice(0, 500);
    assert.equal(a.length, 500);
    assert.deepEqual(a, b);
    const other = json(run(new TrafficSimulator(shop, { seed: 4, rate: 400, epochNs: EPOCH }), 5, 100)).slice(0, 500);
    assert.notDeepEqual(a, other);
  });

  it("gives the same flows under new uuids when started at another time (a restarted demo relay)", () => {
    const later = EPOCH + 3600n * SECOND;
    const runFrom = (epochNs: bigint) => {
      const sim = new TrafficSimulator(shop, { seed: 3, rate: 400, epochNs });
      const out: SimulatedEvent[] = [];
      for (let t = epochNs; t < epochNs + 5n * SECOND; t += 100_000_000n) out.push(...sim.advanceTo(t));
      return out.filter((e) => e.response.responseTypes.case === "flow");
    };
    const flowOf = (e: SimulatedEvent) => (e.response.responseTypes.case === "flow" ? e.response.responseTypes.value : undefined)!;
    const a = runFrom(EPOCH);
    const b = runFrom(later);
    assert.ok(a.length >= 300);
    // Every stream is salted, the scenario's own streams (billing) too.
    assert.ok(
      a.some((e) => flowOf(e).source?.namespace === "billing" || flowOf(e).destination?.namespace === "billing"),
      "billing's stream is in the run",
    );
    const uuidsA = new Set(a.map((e) => flowOf(e).uuid));
    assert.equal(b.filter((e) => uuidsA.has(flowOf(e).uuid)).length, 0, "no uuid repeats across runs");
    const content = (e: SimulatedEvent) => JSON.stringify(toJson(FlowSchema, create(FlowSchema, { ...flowOf(e), uuid: "", time: undefined })));
    assert.deepEqual(a.map(content), b.map(content), "the same traffic");
    assert.deepEqual(
      runFrom(EPOCH).map((e) => flowOf(e).uuid),
      a.map((e) => flowOf(e).uuid),
      "same seed and start: same uuids",
    );
  });

  it("yields the same events whatever the step sizes of advanceTo", () => {
    const coarse = json(run(new TrafficSimulator(starwars, { seed: 9, rate: 300, epochNs: EPOCH }), 12, 4000));
    const fine = json(run(new TrafficSimulator(starwars, { seed: 9, rate: 300, epochNs: EPOCH }), 12, 7));
    const jagged = new TrafficSimulator(starwars, { seed: 9, rate: 300, epochNs: EPOCH });
    const steps: SimulatedEvent[] = [];
    let t = EPOCH;
    for (const ms of [1, 900, 3, 2500, 0, 17, 4000, 4579]) {
      t += BigInt(ms) * 1_000_000n;
      steps.push(...jagged.advanceTo(t));
    }
    assert.ok(coarse.length > 1000);
    assert.deepEqual(fine, coarse);
    assert.deepEqual(json(steps), coarse);
  });

  it("returns events in time order, each within (previous now, now]", () => {
    const sim = new TrafficSimulator(shop, { seed: 1, rate: 2000, epochNs: EPOCH });
    let prev = EPOCH;
    let last = 0n;
    for (let i = 1; i <= 50; i++) {
      const now = EPOCH + BigInt(i) * 97_000_000n;
      for (const e of sim.advanceTo(now)) {
        const t = nanos(e);
        assert.ok(t > prev && t <= now, `event at ${t} outside (${prev}, ${now}]`);
        assert.ok(t >= last, "not time-ordered");
        last = t;
      }
      prev = now;
    }
    assert.deepEqual(sim.advanceTo(prev), []);
    assert.deepEqual(sim.advanceTo(prev - SECOND), []);
  });

  it("emits complete messages that round-trip through binary and hubble's JSON form", () => {
    const zeroFlowKeys = Object.keys(create(FlowSchema));
    for (const scenario of [starwars, shop]) {
      const events = run(new TrafficSimulator(scenario, { seed: 5, rate: 500, epochNs: EPOCH }), 20, 250);
      assert.ok(events.length > 5000);
      for (const e of events) {
        const r = e.response;
        const bytes = toBinary(GetFlowsResponseSchema, r);
        assert.deepEqual(toBinary(GetFlowsResponseSchema, fromBinary(GetFlowsResponseSchema, bytes)), bytes);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jsonpb output, read by field name
        const j = toJson(GetFlowsResponseSchema, r, { useProtoFieldName: true }) as Record<string, any>;
        assert.equal(e.nodeName, r.nodeName);
        if (r.responseTypes.case === "flow") {
          const f = r.responseTypes.value;
          for (const key of zeroFlowKeys) assert.ok(key in f, `flow lacks ${key}`);
          assert.equal(r.nodeName, f.nodeName);
          assert.equal(r.time, f.time);
          assert.match(f.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          assert.deepEqual(j.flow.emitter, { name: "Hubble", version: "1.19.1+gd0d0c879" });
          assert.ok(j.flow.node_labels.length > 0 && j.flow.Summary);
        } else {
          assert.equal(r.responseTypes.case, "lostEvents");
        }
      }
    }
  });

  it("names nodes cluster/node unless the cluster is 'default'", () => {
    const sw = new TrafficSimulator(starwars, { seed: 1, rate: 10, epochNs: EPOCH });
    assert.deepEqual(
      sw.nodes.map((n) => n.name),
      ["kind-kind/kind-control-plane", "kind-kind/kind-worker", "kind-kind/kind-worker2"],
    );
    assert.equal(sw.nodes[1].address, "172.18.0.3:4244");
    assert.ok(sw.nodes[1].labels.includes("kubernetes.io/hostname=kind-worker"));
    const sh = new TrafficSimulator(shop, { seed: 1, rate: 10, epochNs: EPOCH });
    assert.equal(sh.nodes[0].name, "shop-node-a1");
    for (const e of run(sw, 10, 1000)) assert.ok(sw.nodes.some((n) => n.name === e.nodeName));
  });

  for (const [scenario, rate] of [
    [starwars, 1000],
    [shop, 1000],
    [shop, 40],
  ] as const) {
    it(`honours ${rate} flows/s within 10% over a simulated minute (${scenario.name})`, () => {
      const n = run(new TrafficSimulator(scenario, { seed: 11, rate, epochNs: EPOCH }), 60, 1000).length;
      const expected = rate * 60;
      assert.ok(Math.abs(n - expected) <= expected * 0.1, `${n} events, expected ~${expected}`);
    });
  }

  it("occasionally reports lost events, small and per node", () => {
    const sim = new TrafficSimulator(shop, { seed: 2, rate: 5000, epochNs: EPOCH });
    const lost = run(sim, 60, 1000).filter((e) => e.response.responseTypes.case === "lostEvents");
    assert.ok(lost.length >= 1 && lost.length < 20, `${lost.length} lost-event notices`);
    for (const e of lost) {
      const l = e.response.responseTypes.value as { numEventsLost: bigint; source: number };
      assert.ok(l.numEventsLost >= 1n && l.numEventsLost <= 40n);
      assert.ok(l.source === 1 || l.source === 2);
      assert.ok(sim.nodes.some((n) => n.name === e.nodeName));
    }
  });

  it("runs patterns of another stream without changing the main stream's flows", () => {
    const mainOnly = { ...shop, traffic: shop.traffic.filter((t) => t.stream === "main") };
    assert.ok(mainOnly.traffic.length < shop.traffic.length, "shop has patterns on a stream of their own");
    const inBilling = (e: SimulatedEvent) =>
      e.response.responseTypes.case === "flow" && [e.response.responseTypes.value.source?.namespace, e.response.responseTypes.value.destination?.namespace].includes("billing");
    const both = run(new TrafficSimulator(shop, { seed: 7, rate: 200, epochNs: EPOCH }), 20, 250);
    const alone = run(new TrafficSimulator(mainOnly, { seed: 7, rate: 200, epochNs: EPOCH }), 20, 250);
    const billing = both.filter(inBilling);
    assert.ok(billing.length > 0, "the billing stream emits flows");
    assert.deepEqual(json(both.filter((e) => !inBilling(e))), json(alone));
    assert.ok(
      billing.every((e, i) => i === 0 || nanos(billing[i - 1]) <= nanos(e)),
      "merged in time order",
    );
  });

  it("skips to now when told to, each node reporting its share of the skipped events as lost", () => {
    const rate = 2000;
    const reference = run(new TrafficSimulator(shop, { seed: 9, rate, epochNs: EPOCH }), 6, 50);
    const inGap = reference.filter((e) => e.response.responseTypes.case === "flow" && nanos(e) > EPOCH + 2n * SECOND && nanos(e) <= EPOCH + 5n * SECOND).length;

    const sim = new TrafficSimulator(shop, { seed: 9, rate, epochNs: EPOCH });
    const before = run(sim, 2, 50);
    const lost = sim.skipTo(EPOCH + 5n * SECOND);
    const after: SimulatedEvent[] = [];
    for (let t = EPOCH + 5n * SECOND; t <= EPOCH + 8n * SECOND; t += 50_000_000n) after.push(...sim.advanceTo(t));

    // The estimate is within a fifth of what the same 3 s really held.
    assert.ok(Math.abs(lost - inGap) < inGap / 5, `${lost} reported lost, ${inGap} flows in the same 3 s without the skip`);
    const notices = after.filter((e) => e.response.responseTypes.case === "lostEvents");
    const nodes = new Set(sim.nodes.map((n) => n.name));
    assert.deepEqual(new Set(notices.map((e) => e.nodeName)), nodes, "every node reports its share");
    let sum = 0;
    for (const n of notices) {
      const v = n.response.responseTypes.value as { source: number; numEventsLost: bigint; first?: unknown; last?: unknown };
      assert.equal(v.source, LostEventSource.OBSERVER_EVENTS_QUEUE);
      assert.equal(nanos(n), EPOCH + 5n * SECOND);
      sum += Number(v.numEventsLost);
    }
    assert.equal(sum, lost);
    // Nothing started in the gap: flows in it are only the last events of connections started before.
    const flowsInGap = after.filter((e) => e.response.responseTypes.case === "flow" && nanos(e) < EPOCH + 5n * SECOND).length;
    assert.ok(flowsInGap < inGap / 20, `${flowsInGap} flows in the skipped 3 s`);
    assert.ok(before.length > 0);
    // And the traffic goes on at its rate after it.
    const flowsAfter = after.filter((e) => e.response.responseTypes.case === "flow" && nanos(e) >= EPOCH + 5n * SECOND).length;
    assert.ok(Math.abs(flowsAfter - 3 * rate) < (3 * rate) / 5, `${flowsAfter} flows in the 3 s after the skip at ${rate}/s`);
  });
});
