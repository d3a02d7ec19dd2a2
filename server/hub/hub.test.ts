import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Verdict } from "@/proto/gen/flow/flow_pb";
import { timestampToNs } from "@/lib/timestamp";
import { FlowHub, type FlowSubscriptionRequest, type HubOptions } from "./hub";
import { FakeRelay, filters, flowAt, flowResponse, gatedHistory, lostResponse, NodeState, nodeStatusResponse, settle, SubscriptionReader, T0_NS, waitUntil } from "./testing";

// The hub against a fake relay: live feeds the test pushes into and scripted histories. Timers
// are real but short; every wait is on a condition.

const DROPPED = filters([{ verdict: [Verdict.DROPPED] }]);
const FORWARDED = filters([{ verdict: [Verdict.FORWARDED] }]);
/** A long flush interval: only maxBatch flushes, unless a test wants the timer. */
const NO_TIMER: Partial<HubOptions> = { flushMs: 60_000 };

const hubs: FlowHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.shutdown();
});

function setup(opts: Partial<HubOptions> = {}) {
  const relay = new FakeRelay();
  const hub = new FlowHub(relay.deps, { lingerMs: 20, ...opts });
  hubs.push(hub);
  const subscribe = (req: Partial<FlowSubscriptionRequest> = {}) => {
    const sub = hub.subscribe({ filters: DROPPED, follow: true, command: "hubble observe", ...req });
    return { sub, reader: new SubscriptionReader(sub) };
  };
  return { relay, hub, subscribe };
}

describe("FlowHub upstreams", () => {
  it("subscribers with equal filters share one upstream; another filter gets its own", async () => {
    const { relay, hub, subscribe } = setup({ maxBatch: 1 });
    const a = subscribe({ filters: filters([{ verdict: [Verdict.DROPPED] }]) });
    const b = subscribe({ filters: filters([{ verdict: [Verdict.DROPPED] }]) });
    const c = subscribe({ filters: FORWARDED });
    assert.equal(relay.feeds.length, 2);
    assert.equal(hub.upstreamCount, 2);
    assert.deepEqual(relay.feeds[0].filters.whitelist[0].verdict, [Verdict.DROPPED]);
    assert.deepEqual(relay.feeds[1].filters.whitelist[0].verdict, [Verdict.FORWARDED]);
    await settle();

    relay.feeds[0].push(flowResponse(flowAt(1, "d1")));
    relay.feeds[1].push(flowResponse(flowAt(2, "f1")));
    await waitUntil(() => a.reader.flows().length + b.reader.flows().length + c.reader.flows().length === 3, "3 flows");
    assert.deepEqual(a.reader.uuids(), ["d1"]);
    assert.deepEqual(b.reader.uuids(), ["d1"]);
    assert.deepEqual(c.reader.uuids(), ["f1"]);
  });

  it("an upstream closes lingerMs after its last subscriber leaves, and is reused until then", async () => {
    const { relay, hub, subscribe } = setup({ lingerMs: 40 });
    const a = subscribe();
    const b = subscribe();
    a.sub.close();
    await settle();
    assert.equal(relay.feeds[0].stopped, false, "one subscriber left");

    b.sub.close();
    const leftAt = Date.now();
    assert.equal(relay.feeds[0].stopped, false, "lingers");
    const c = subscribe();
    assert.equal(relay.feeds.length, 1, "a subscriber arriving while it lingers reuses it");
    c.sub.close();

    await waitUntil(() => relay.feeds[0].stopped, "the upstream to stop");
    assert.ok(Date.now() - leftAt >= 35, `stopped after ${Date.now() - leftAt} ms`);
    assert.equal(hub.upstreamCount, 0);

    subscribe();
    assert.equal(relay.feeds.length, 2, "a later subscriber opens a fresh upstream");
  });

  it("shutdown ends every open stream with end(shutdown) and stops the upstreams", async () => {
    const { relay, hub, subscribe } = setup();
    const a = subscribe();
    const b = subscribe({ filters: FORWARDED });
    await settle();
    hub.shutdown();
    await waitUntil(() => a.reader.done && b.reader.done, "both streams to end");
    assert.deepEqual(a.reader.events.at(-1), { type: "end", reason: "shutdown" });
    assert.deepEqual(b.reader.events.at(-1), { type: "end", reason: "shutdown" });
    assert.ok(relay.feeds.every((f) => f.stopped));
    assert.equal(hub.upstreamCount, 0);
  });

  it("a client leaving aborts its history query", async () => {
    const { relay, subscribe } = setup();
    const gate = gatedHistory([]);
    relay.history = gate.script;
    const a = subscribe();
    await settle();
    assert.equal(relay.historySignals[0].aborted, false);
    a.sub.close();
    assert.equal(relay.historySignals[0].aborted, true);
    gate.release();
  });
});

describe("FlowHub batching", () => {
  it("flushes a batch as soon as it holds maxBatch flows, without the timer", async () => {
    const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 3 });
    const a = subscribe();
    await settle();
    for (let i = 1; i <= 7; i++) relay.feeds[0].push(flowResponse(flowAt(i, `u${i}`)));
    await waitUntil(() => a.reader.of("flows").length === 2, "two batches");
    await settle();
    assert.deepEqual(
      a.reader.of("flows").map((e) => e.flows.map((f) => f.uuid)),
      [
        ["u1", "u2", "u3"],
        ["u4", "u5", "u6"],
      ],
    );
  });

  it("flushes a partial batch on the flush timer", async () => {
    const { relay, subscribe } = setup({ flushMs: 20, maxBatch: 500 });
    const a = subscribe();
    await settle();
    relay.feeds[0].push(flowResponse(flowAt(1, "u1")), flowResponse(flowAt(2, "u2")));
    assert.equal(a.reader.of("flows").length, 0);
    await waitUntil(() => a.reader.of("flows").length === 1, "the timer flush");
    assert.deepEqual(a.reader.uuids(), ["u1", "u2"]);
  });

  it("flushes pending flows before a relay event, so the stream keeps relay order", async () => {
    const { relay, subscribe } = setup(NO_TIMER);
    const a = subscribe();
    await settle();
    relay.feeds[0].push(flowResponse(flowAt(1, "u1")), lostResponse("n1", 5));
    relay.feeds[0].push(flowResponse(flowAt(2, "u2")), nodeStatusResponse(NodeState.NODE_UNAVAILABLE, ["n2"]));
    await waitUntil(() => a.reader.of("nodes").length === 1, "nodes event");
    assert.deepEqual(
      a.reader.events
        .slice(1)
        .filter((e) => e.type !== "sampling")
        .map((e) => (e.type === "flows" ? e.flows.map((f) => f.uuid).join() : e.type)),
      ["u1", "lost", "u2", "nodes"],
    );
    assert.deepEqual(a.reader.of("lost")[0], { type: "lost", node: "n1", source: "PERF_EVENT_RING_BUFFER", count: 5 });
  });
});

describe("FlowHub history then live", () => {
  it("asks history for the filter, non-following: a live view the last N per node (since only bounds it), a bounded query its window", async () => {
    const { relay, subscribe } = setup({ defaultHistoryPerNode: 250 });
    subscribe();
    subscribe({ filters: FORWARDED, sinceNs: T0_NS });
    subscribe({ filters: FORWARDED, sinceNs: T0_NS, follow: false });
    await settle();
    const [last, liveSince, bounded] = relay.historyRequests;
    assert.equal(last.follow, false);
    assert.equal(last.number, 250n);
    assert.equal(last.since, undefined);
    assert.deepEqual(last.whitelist[0].verdict, [Verdict.DROPPED]);
    assert.equal(liveSince.number, 250n);
    assert.equal(liveSince.since, undefined);
    assert.equal(bounded.number, 0n);
    assert.equal(timestampToNs(bounded.since), T0_NS);
  });

  it("sends ready first, then all of history, then the live flows that arrived meanwhile", async () => {
    const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 2 });
    const gate = gatedHistory([flowResponse(flowAt(1, "h1")), flowResponse(flowAt(2, "h2")), flowResponse(flowAt(3, "h3"))]);
    relay.history = gate.script;
    const a = subscribe();
    await settle();
    relay.feeds[0].push(flowResponse(flowAt(10, "l1")), flowResponse(flowAt(11, "l2")));
    await settle();
    assert.deepEqual(a.reader.uuids(), ["h1", "h2"], "live waits for history");

    gate.release();
    await waitUntil(() => a.reader.flows().length === 5, "history and live");
    assert.deepEqual(a.reader.events[0], { type: "ready", command: "hubble observe", follow: true });
    assert.deepEqual(a.reader.uuids(), ["h1", "h2", "h3", "l1", "l2"]);
    assert.deepEqual(
      a.reader.of("flows").map((e) => e.history === true),
      [true, true, false],
    );
  });

  const OVERLAP_CASES = [
    { rule: "by uuid", id: (i: number) => `u${i}` },
    { rule: "by content key, for flows without uuid", id: () => null },
  ];
  for (const { rule, id } of OVERLAP_CASES) {
    it(`delivers a flow in both history and live once (${rule})`, async () => {
      const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 3 });
      const f = (i: number) => flowResponse(flowAt(i, id(i), { l4: { protocol: { case: "UDP", value: { sourcePort: 1000 + i } } } }));
      const gate = gatedHistory([f(1), f(2), f(3)]);
      relay.history = gate.script;
      const a = subscribe();
      await settle();
      relay.feeds[0].push(f(2), f(3), f(4)); // held while history runs
      gate.release();
      await waitUntil(() => a.reader.flows().length === 4, "history + one new live flow");

      relay.feeds[0].push(f(3), f(5), f(6)); // still within the overlap window
      relay.feeds[0].push(f(2), f(3), f(1)); // nothing new: no frame at all
      relay.feeds[0].push(f(7), f(8), f(9));
      await waitUntil(() => a.reader.flows().length === 9, "the rest");
      await settle();
      const ports = a.reader.flows().map((fl) => (fl.l4 as { UDP: { source_port: number } }).UDP.source_port - 1000);
      assert.deepEqual(ports, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(a.reader.of("flows").length, 4);
    });
  }

  it("a flow repeating history well after the overlap window is new again", async () => {
    // Relays only roughly order flows; past history's newest flow + grace, keys are forgotten.
    const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 1 });
    relay.history = async function* () {
      yield flowResponse(flowAt(1, "u1"));
    };
    const a = subscribe();
    await waitUntil(() => a.reader.flows().length === 1, "history");
    relay.feeds[0].push(flowResponse(flowAt(60, "late")));
    relay.feeds[0].push(flowResponse(flowAt(1, "u1")));
    await waitUntil(() => a.reader.flows().length === 3, "both live flows");
  });

  it("live flows beyond maxHeldFlows while history runs are reported as missed", async () => {
    const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 2, maxHeldFlows: 3 });
    const gate = gatedHistory([]);
    relay.history = gate.script;
    const a = subscribe();
    await settle();
    for (let i = 1; i <= 6; i++) relay.feeds[0].push(flowResponse(flowAt(i, `u${i}`)));
    gate.release();
    await waitUntil(() => a.reader.flows().length === 2, "the held batch");
    await settle();
    assert.deepEqual(a.reader.of("missed"), [{ type: "missed", count: 4 }]);
    assert.deepEqual(a.reader.uuids(), ["u1", "u2"]);
  });

  it("a NODE_ERROR in history becomes an error event, and live goes on", async () => {
    const { relay, subscribe } = setup({ ...NO_TIMER, maxBatch: 1 });
    relay.history = async function* () {
      yield flowResponse(flowAt(1, "h1"));
      yield nodeStatusResponse(NodeState.NODE_ERROR, ["n1", "n2"], "invalid regex");
    };
    const a = subscribe();
    await waitUntil(() => a.reader.of("error").length === 1, "the error event");
    assert.deepEqual(a.reader.of("error")[0], { type: "error", code: "node-error", message: "n1, n2: invalid regex" });
    relay.feeds[0].push(flowResponse(flowAt(2, "l1")));
    await waitUntil(() => a.reader.flows().length === 2, "live flow");
    assert.equal(a.reader.done, false);
  });
});

describe("FlowHub non-following requests", () => {
  it("sends history, then end(complete), and opens no upstream", async () => {
    const { relay, hub, subscribe } = setup({ maxBatch: 2 });
    relay.history = async function* () {
      yield nodeStatusResponse(NodeState.NODE_CONNECTED, ["n1"]);
      for (let i = 1; i <= 3; i++) yield flowResponse(flowAt(i, `h${i}`));
      yield lostResponse("n1", 2);
    };
    const a = subscribe({ follow: false });
    await waitUntil(() => a.reader.done, "the stream to end");
    assert.equal(relay.feeds.length, 0);
    assert.equal(hub.upstreamCount, 0);
    assert.deepEqual(
      a.reader.events.map((e) => e.type),
      ["ready", "nodes", "flows", "flows", "lost", "end"],
    );
    assert.deepEqual(a.reader.events[0], { type: "ready", command: "hubble observe", follow: false });
    assert.deepEqual(a.reader.uuids(), ["h1", "h2", "h3"]);
    assert.deepEqual(a.reader.events.at(-1), { type: "end", reason: "complete" });
  });

  const ENDINGS = [
    { rule: "a query with until ends with end(until)", req: { untilNs: T0_NS }, fails: false, end: "until" },
    { rule: "a relay failure ends with an error, then end(error)", req: {}, fails: true, end: "error" },
  ] as const;
  for (const { rule, req, fails, end } of ENDINGS) {
    it(rule, async () => {
      const { relay, subscribe } = setup();
      relay.history = async function* () {
        yield flowResponse(flowAt(1, "h1"));
        if (fails) throw new Error("Hubble Relay is not reachable.");
      };
      const a = subscribe({ follow: false, ...req });
      await waitUntil(() => a.reader.done, "the stream to end");
      assert.deepEqual(a.reader.uuids(), ["h1"]);
      assert.deepEqual(a.reader.events.at(-1), { type: "end", reason: end });
      if (fails) assert.equal(a.reader.of("error")[0].code, "relay-unavailable");
    });
  }
});

describe("FlowHub relay state", () => {
  it("broadcasts relay state changes and replays the latest one, and the node list, to late subscribers", async () => {
    const { relay, subscribe } = setup(NO_TIMER);
    const a = subscribe();
    const feed = relay.feeds[0];
    const live = { kind: "live", address: "relay:4245", since: "2024-01-01T00:00:00.000Z" } as const;
    feed.sink.state({ kind: "connecting", address: "relay:4245" });
    feed.sink.state(live);
    feed.push(nodeStatusResponse(NodeState.NODE_CONNECTED, ["n1", "n2"]));
    feed.push(nodeStatusResponse(NodeState.NODE_UNAVAILABLE, ["n3"]));
    await waitUntil(() => a.reader.of("nodes").length === 2, "node events");
    assert.deepEqual(
      a.reader.of("relay").map((e) => e.state.kind),
      ["connecting", "live"],
    );

    const b = subscribe();
    assert.equal(relay.feeds.length, 1);
    await waitUntil(() => b.reader.events.length >= 3, "the replay");
    assert.deepEqual(b.reader.events.slice(0, 3), [
      { type: "ready", command: "hubble observe", follow: true },
      { type: "relay", state: live },
      { type: "nodes", state: "NODE_CONNECTED", nodes: ["n1", "n2"] },
    ]);

    const reconnecting = {
      kind: "reconnecting",
      address: "relay:4245",
      attempt: 1,
      nextTryAt: "2024-01-01T00:00:01.000Z",
      lastError: "gone",
    } as const;
    feed.sink.state(reconnecting);
    await waitUntil(() => a.reader.of("relay").length === 3 && b.reader.of("relay").length === 2, "the change");
    assert.deepEqual(a.reader.of("relay").at(-1)?.state, reconnecting);
    assert.deepEqual(b.reader.of("relay").at(-1)?.state, reconnecting);
  });
});

describe("FlowHub slow subscribers", () => {
  it("a subscriber that never reads loses its oldest batches and is told the exact count; a fast one gets everything", async () => {
    const { relay, subscribe, hub } = setup({ ...NO_TIMER, maxBatch: 1, maxQueuedFlowFrames: 3 });
    const fast = subscribe();
    const slow = hub.subscribe({ filters: DROPPED, follow: true, command: "hubble observe" });
    await settle();
    for (let i = 1; i <= 10; i++) {
      relay.feeds[0].push(flowResponse(flowAt(i, `u${i}`)));
      await settle(); // the fast reader keeps up
    }
    await waitUntil(() => fast.reader.flows().length === 10, "fast reader");
    assert.deepEqual(fast.reader.of("missed"), []);
    assert.equal(slow.missedTotal, 7);

    const late = new SubscriptionReader(slow);
    await waitUntil(() => late.flows().length === 3, "what the slow one kept");
    assert.deepEqual(
      late.events.filter((e) => e.type !== "sampling" && e.type !== "missed").map((e) => (e.type === "flows" ? e.flows[0].uuid : e.type)),
      ["ready", "u8", "u9", "u10"],
    );
    assert.equal(
      late.of("missed").reduce((n, e) => n + e.count, 0),
      7,
      "every dropped flow is accounted for",
    );
  });
});

describe("FlowHub cap on relay streams", () => {
  it("beyond maxUpstreams distinct filters, one unfiltered relay stream filtered in the server serves them all", async () => {
    const { relay, hub, subscribe } = setup({ ...NO_TIMER, maxBatch: 1, maxUpstreams: 2 });
    const ports = [80, 443, 8080, 5432, 6379, 9090];
    const subs = ports.map((port) => subscribe({ filters: filters([{ destinationPort: [String(port)] }]) }));
    await settle();
    assert.equal(relay.feeds.length, 3, "two filters with their own stream, and one unfiltered for the rest");
    assert.equal(hub.relayStreamCount, 3);
    const all = relay.feeds[2];
    assert.deepEqual(all.filters, { whitelist: [], blacklist: [] });
    const to = (port: number, uuid: string) => flowResponse(flowAt(1, uuid, { l4: { protocol: { case: "TCP", value: { sourcePort: 40000, destinationPort: port } } } }));
    all.push(to(8080, "a"), to(5432, "b"), to(9999, "c"), to(6379, "d"));
    await waitUntil(() => subs[2].reader.flows().length === 1 && subs[3].reader.flows().length === 1 && subs[4].reader.flows().length === 1, "filtered flows");
    assert.deepEqual(
      subs.map((s) => s.reader.uuids()),
      [[], [], ["a"], ["b"], ["d"], []],
    );
    for (const s of subs) s.sub.close();
    await waitUntil(() => relay.feeds.every((f) => f.stopped), "every relay stream stopped after the linger");
  });
});
