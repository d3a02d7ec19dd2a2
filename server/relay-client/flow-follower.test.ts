import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { GetFlowsRequest, GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { NodeState } from "@/proto/gen/relay/relay_pb";
import { timestampToNs } from "@/lib/timestamp";
import { FlowFollower, type FlowFollowerOptions, type FollowerState } from "./flow-follower";
import type { FlowSource, GetFlowsOptions } from "./relay-client";
import { T0, flowAt, lostAt, nodeStatusAt, sec, uuidOf } from "./testing/builders";
import { waitUntil } from "@/lib/testing/wait";

type Step = GetFlowsResponse | { error: unknown } | { end: true };

const unavailable = { error: Object.assign(new Error("x"), { code: status.UNAVAILABLE, details: "connect ECONNREFUSED" }) };
const invalid = { error: Object.assign(new Error("x"), { code: status.INVALID_ARGUMENT, details: "bad filter" }) };

/** Plays one scripted list of steps per GetFlows call; after the script, the stream stays open. */
class ScriptedSource implements FlowSource {
  readonly requests: GetFlowsRequest[] = [];
  readonly signals: AbortSignal[] = [];
  constructor(private readonly attempts: Step[][]) {}

  getFlows(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<GetFlowsResponse> {
    this.requests.push(req);
    const signal = opts.signal!;
    this.signals.push(signal);
    const steps = this.attempts.shift() ?? [];
    return (async function* () {
      for (const step of steps) {
        if ("error" in step) throw step.error;
        if ("end" in step) return;
        yield step;
      }
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      throw signal.reason;
    })();
  }
}

interface Harness {
  follower: FlowFollower;
  source: ScriptedSource;
  received: GetFlowsResponse[];
  states: FollowerState[];
  delays: number[];
  clock: { ms: number };
}

let running: FlowFollower[] = [];
afterEach(async () => {
  await Promise.all(running.map((f) => f.stop()));
  running = [];
});

function harness(attempts: Step[][], opts: Partial<FlowFollowerOptions> = {}): Harness {
  const source = new ScriptedSource(attempts);
  const received: GetFlowsResponse[] = [];
  const states: FollowerState[] = [];
  const delays: number[] = [];
  const clock = { ms: Date.parse("2024-05-01T12:00:00Z") };
  const follower = new FlowFollower({
    source,
    onResponse: (r) => void received.push(r),
    random: () => 0.5,
    now: () => clock.ms,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...opts,
  });
  follower.onStateChange((s) => states.push(s));
  running.push(follower);
  follower.start();
  return { follower, source, received, states, delays, clock };
}

const flowUuids = (received: GetFlowsResponse[]) => received.filter((r) => r.responseTypes.case === "flow").map(uuidOf);
const kinds = (states: FollowerState[]) => states.map((s) => s.kind);

describe("FlowFollower requests", () => {
  it("the first request follows with the caller's filters, history and a mask that keeps uuid/time/node_name", async () => {
    const { source } = harness([[]], {
      request: { since: new Date("2024-05-01T11:59:00Z"), number: 50, fieldMask: ["verdict", "time"], whitelist: [] },
    });
    await waitUntil(() => source.requests.length === 1, "first request");
    const req = source.requests[0];
    assert.equal(req.follow, true);
    assert.equal(req.number, 50n);
    assert.equal(timestampToNs(req.since), T0 - sec(60));
    assert.deepEqual(req.fieldMask?.paths, ["verdict", "time", "uuid", "node_name"]);
  });
});

describe("reconnect: no gap, no duplicate", () => {
  it("resumes from the newest flow minus the overlap and drops what was already delivered", async () => {
    const first = [1, 2, 3, 4, 5].map((s) => flowAt(T0 + sec(s), { uuid: `u${s}` }));
    // The relay sends the overlap again, plus u4b: older than u5 but never delivered (it was
    // still in the relay's sort buffer when the stream broke).
    const second = [
      flowAt(T0 + sec(3), { uuid: "u3" }),
      flowAt(T0 + sec(4), { uuid: "u4" }),
      flowAt(T0 + sec(4.5), { uuid: "u4b" }),
      flowAt(T0 + sec(5), { uuid: "u5" }),
      flowAt(T0 + sec(6), { uuid: "u6" }),
    ];
    const { source, received, follower } = harness([[...first, unavailable], second]);
    await waitUntil(() => received.length === 7, "7 distinct flows");
    assert.deepEqual(flowUuids(received), ["u1", "u2", "u3", "u4", "u5", "u4b", "u6"]);
    assert.equal(source.requests.length, 2);
    assert.equal(timestampToNs(source.requests[1].since), T0 + sec(3), "since = newest (5 s) - overlap (2 s)");
    assert.equal(source.requests[1].number, 0n);
    assert.equal(follower.stats.duplicatesDropped, 3);
  });

  it("flows without uuid (Cilium < 1.14) are matched on content", async () => {
    const first = [1, 2, 3].map((s) => flowAt(T0 + sec(s)));
    const second = [2, 3, 4].map((s) => flowAt(T0 + sec(s)));
    const { received } = harness([[...first, unavailable], second]);
    await waitUntil(() => received.length === 4, "4 distinct flows");
    const times = received.map((r) => timestampToNs(r.time) - T0);
    assert.deepEqual(times, [sec(1), sec(2), sec(3), sec(4)]);
  });

  it("with no flow yet, a resumed stream starts at the relay's connect time minus the overlap", async () => {
    const { source } = harness([[nodeStatusAt(T0 + sec(10), NodeState.NODE_CONNECTED, ["a"]), unavailable], []], {
      request: { number: 20 },
    });
    await waitUntil(() => source.requests.length === 2, "second request");
    assert.equal(timestampToNs(source.requests[1].since), T0 + sec(8));
    assert.equal(source.requests[1].number, 0n);
  });

  it("without any response, the retry repeats the original request", async () => {
    const { source } = harness([[unavailable], []], { request: { number: 20 } });
    await waitUntil(() => source.requests.length === 2, "second request");
    assert.equal(source.requests[1].number, 20n);
    assert.equal(source.requests[1].since, undefined);
  });

  it("node status events are forwarded every time; repeated lost events are not", async () => {
    const connected = nodeStatusAt(T0, NodeState.NODE_CONNECTED, ["a", "b"]);
    const lost = lostAt(T0 + sec(1), 7n);
    const { received } = harness([
      [connected, lost, flowAt(T0 + sec(2), { uuid: "f" }), unavailable],
      [nodeStatusAt(T0 + sec(9), NodeState.NODE_CONNECTED, ["a", "b"]), lost, flowAt(T0 + sec(2), { uuid: "f" })],
    ]);
    await waitUntil(() => received.length === 4, "4 events");
    assert.deepEqual(
      received.map((r) => r.responseTypes.case),
      ["nodeStatus", "lostEvents", "flow", "nodeStatus"],
    );
  });
});

describe("states", () => {
  it("connecting -> live -> reconnecting -> connecting -> live", async () => {
    const { states, delays, clock } = harness([[flowAt(T0, { uuid: "a" }), unavailable], [flowAt(T0, { uuid: "a" })]]);
    await waitUntil(() => kinds(states).filter((k) => k === "live").length === 2, "live twice");
    assert.deepEqual(kinds(states), ["connecting", "live", "reconnecting", "connecting", "live"]);
    const reconnecting = states[2];
    assert.ok(reconnecting.kind === "reconnecting");
    assert.equal(reconnecting.attempt, 1);
    assert.equal(delays[0], 250, "full jitter: 0.5 x 500 ms");
    assert.equal(reconnecting.nextTryAt.getTime(), clock.ms + 250);
    assert.match(reconnecting.lastError, /not reachable/);
    const live = states[1];
    assert.ok(live.kind === "live");
    assert.equal(live.since.getTime(), clock.ms);
  });

  it("consecutive failures back off exponentially; any stream that starts resets the backoff", async () => {
    // The fourth try connects and breaks at once (a relay restarting again): the next wait is the
    // first step again, not the fourth.
    const h = harness([[unavailable], [unavailable], [unavailable], [flowAt(T0, { uuid: "a" }), unavailable], [unavailable]]);
    await waitUntil(() => h.delays.length === 5, "5 backoff waits");
    assert.deepEqual(h.delays, [250, 500, 1000, 250, 500]);
    const attempts = h.states.filter((s) => s.kind === "reconnecting").map((s) => (s.kind === "reconnecting" ? s.attempt : 0));
    assert.deepEqual(attempts, [1, 2, 3, 1, 2]);
  });

  it("after a live stream broke, keeps retrying at least every second (a restarting relay is caught)", async () => {
    const h = harness([[flowAt(T0, { uuid: "a" }), unavailable], [unavailable], [unavailable], [unavailable], [unavailable], [unavailable]]);
    await waitUntil(() => h.delays.length === 6, "6 backoff waits");
    assert.deepEqual(h.delays, [250, 500, 500, 500, 500, 500], "full jitter (0.5) of at most 1 s");
  });

  it("says, when it is live again, since when the relay could not be followed", async () => {
    const h = harness([[flowAt(T0, { uuid: "a" }), unavailable], [unavailable], [flowAt(T0 + sec(9), { uuid: "b" })]], {
      sleep: async (ms: number) => {
        h.delays.push(ms);
        h.clock.ms += ms;
      },
    });
    await waitUntil(() => h.states.filter((s) => s.kind === "live").length === 2, "live twice");
    const [first, second] = h.states.filter((s) => s.kind === "live");
    assert.ok(first.kind === "live" && second.kind === "live");
    assert.equal(first.outage, undefined, "no outage before the first connection");
    assert.ok(second.outage, "the second connection names the outage");
    assert.equal(second.outage.to.getTime(), second.since.getTime());
    assert.equal(second.outage.to.getTime() - second.outage.from.getTime(), h.delays[0] + h.delays[1]);
    assert.equal(h.follower.stats.outages, 1);
  });

  it("a non-retryable error fails with the user message; restart() resumes without repeating flows", async () => {
    const { follower, source, received, states } = harness([
      [flowAt(T0 + sec(1), { uuid: "a" }), invalid],
      [flowAt(T0 + sec(1), { uuid: "a" }), flowAt(T0 + sec(2), { uuid: "b" })],
    ]);
    await waitUntil(() => follower.state.kind === "failed", "failed");
    assert.deepEqual(follower.state, { kind: "failed", reason: "Hubble Relay rejected the request. bad filter" });
    assert.equal(source.requests.length, 1, "no retry on its own");
    follower.restart();
    await waitUntil(() => received.length === 2, "b after restart");
    assert.deepEqual(flowUuids(received), ["a", "b"]);
    assert.deepEqual(kinds(states), ["connecting", "live", "failed", "connecting", "live"]);
  });

  it("a stream that ends after only NODE_ERROR events (bad filter through the relay) fails", async () => {
    const { follower } = harness([[nodeStatusAt(T0, NodeState.NODE_CONNECTED, ["a"]), nodeStatusAt(T0, NodeState.NODE_ERROR, ["a"], "invalid regex: missing )"), { end: true }]]);
    await waitUntil(() => follower.state.kind === "failed", "failed");
    assert.ok(follower.state.kind === "failed");
    assert.match(follower.state.reason, /rejected the request\. invalid regex/);
  });

  it("a stream that simply ends is retried", async () => {
    const { follower, source } = harness([[flowAt(T0, { uuid: "a" }), { end: true }], []]);
    await waitUntil(() => source.requests.length === 2, "retry");
    assert.equal(follower.lastError?.message, "Hubble Relay ended the flow stream.");
  });

  it("a consumer that throws stops the follower in the failed state", async () => {
    const { follower } = harness([[flowAt(T0, { uuid: "a" })]], {
      onResponse: () => {
        throw new Error("store full");
      },
    });
    await waitUntil(() => follower.state.kind === "failed", "failed");
    assert.ok(follower.state.kind === "failed");
    assert.match(follower.state.reason, /failed to process the flow stream: store full/);
  });
});

describe("stop()", () => {
  it("cancels the open stream and emits no state afterwards", async () => {
    const { follower, source, states } = harness([[flowAt(T0, { uuid: "a" })]]);
    await waitUntil(() => follower.state.kind === "live", "live");
    const before = states.length;
    await follower.stop();
    assert.equal(source.signals[0].aborted, true);
    assert.equal(states.length, before);
  });

  it("cuts a backoff wait short (real sleep)", async () => {
    const { follower } = harness([[unavailable]], { sleep: undefined, random: () => 0.99, backoff: { baseMs: 60_000, capMs: 60_000 } });
    await waitUntil(() => follower.state.kind === "reconnecting", "reconnecting");
    const started = Date.now();
    await follower.stop();
    assert.ok(Date.now() - started < 1000);
  });

  it("releases a failed follower waiting for restart()", async () => {
    const { follower } = harness([[invalid]]);
    await waitUntil(() => follower.state.kind === "failed", "failed");
    await follower.stop();
  });
});
