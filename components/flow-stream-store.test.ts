import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { parseFlowQueryParams } from "@/lib/filter-model";
import { waitUntil } from "@/lib/testing/wait";
import { FakeEventSource } from "@/components/testing/event-source";
import { servePage } from "@/components/testing/server";
import { MAX_INVESTIGATION_FLOWS } from "@/lib/api/investigations";
import { encodeEvent } from "@/lib/sse";
import { FLOW_BUFFER_CAPACITY, FLOWS_PUBLISH_MS, FlowStreamStore, type Schedule } from "./flow-stream-store";

/** A flow `s` seconds after 2024-01-01T00:00:00Z, uuid `u<s>`. */
function flow(s: number): JsonObject {
  return {
    time: new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString(),
    uuid: `u${s}`,
    verdict: "FORWARDED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2" },
    l4: { TCP: { source_port: 40000 + s, destination_port: 80 } },
    node_name: "n1",
  };
}

beforeEach(() => {
  FakeEventSource.opened = [];
});

/** The store's timer, run by the test: `due()` runs what is due at the test's clock `ms`. */
function manualSchedule() {
  let ms = 0;
  let tasks: { at: number; fn: () => void }[] = [];
  const schedule: Schedule = (fn, wait) => {
    const task = { at: ms + wait, fn };
    tasks.push(task);
    return () => (tasks = tasks.filter((t) => t !== task));
  };
  return {
    schedule,
    now: () => ms,
    /** Moves the clock on by `by` ms and runs every task due by then. */
    advance(by: number) {
      ms += by;
      const due = tasks.filter((t) => t.at <= ms);
      tasks = tasks.filter((t) => t.at > ms);
      for (const t of due) t.fn();
    },
    get waiting() {
      return tasks.map((t) => t.at - ms);
    },
  };
}

function openStore(query = "namespace=shop", capacity?: number) {
  const clock = manualSchedule();
  const store = new FlowStreamStore({ capacity, schedule: clock.schedule, now: clock.now, openStream: FakeEventSource.open });
  let published = 0;
  store.subscribe(() => published++);
  store.open(query);
  const source = FakeEventSource.opened.at(-1)!;
  return { store, source, clock, published: () => published };
}

describe("FlowStreamStore", () => {
  it("opens one event stream on /api/flows with the view's query", () => {
    const { source } = openStore("namespace=shop&verdict=DROPPED");
    assert.equal(source.url, "/api/flows?namespace=shop&verdict=DROPPED");
    assert.equal(openStore("").source.url, "/api/flows");
  });

  it("buffers flows newest first, bounded by its capacity", () => {
    const { store, source, clock } = openStore("", 3);
    source.onopen!(new Event("open"));
    source.send({ type: "flows", flows: [flow(1), flow(2)] });
    source.send({ type: "flows", flows: [flow(3), flow(4)] });
    clock.advance(0);
    const s = store.getSnapshot();
    assert.equal(s.connection, "open");
    assert.deepEqual(
      s.flows.rows.map((r) => r.id),
      ["u4", "u3", "u2"],
    );
  });

  it("publishes a burst of events once, on the next frame", async () => {
    const { store, source, clock, published } = openStore();
    for (let s = 0; s < 50; s++) source.send({ type: "flows", flows: [flow(s)] });
    source.send({ type: "lost", node: "n1", source: "PERF_EVENT_RING_BUFFER", count: 3 });
    clock.advance(0);
    assert.equal(published(), 0, "nothing published synchronously");
    await waitUntil(() => published() > 0, "the store to publish");
    assert.equal(published(), 1);
    assert.equal(store.getSnapshot().flows.rows.length, 50);
    assert.equal(store.getSnapshot().gaps.lost, 3);
  });

  it(`takes new flows into the table at most every ${FLOWS_PUBLISH_MS} ms, however often they arrive`, () => {
    const { store, source, clock } = openStore();
    source.send({ type: "flows", flows: [flow(1)] });
    assert.deepEqual(clock.waiting, [0], "the first batch is taken at once");
    clock.advance(0);
    assert.equal(store.getSnapshot().flows.rows.length, 1);
    // Batches every 100 ms, as the server sends them.
    clock.advance(100);
    source.send({ type: "flows", flows: [flow(2)] });
    assert.deepEqual(clock.waiting, [FLOWS_PUBLISH_MS - 100], "the next take waits out the interval");
    clock.advance(100);
    source.send({ type: "flows", flows: [flow(3)] });
    assert.equal(clock.waiting.length, 1, "one take is scheduled, not one per batch");
    assert.equal(store.getSnapshot().flows.rows.length, 1, "nothing new before the interval");
    clock.advance(FLOWS_PUBLISH_MS - 200);
    assert.deepEqual(
      store.getSnapshot().flows.rows.map((r) => r.id),
      ["u3", "u2", "u1"],
      "both batches in one take",
    );
    assert.deepEqual(clock.waiting, [], "nothing scheduled while nothing is pending");
  });

  it("holds at most a buffer's worth of flows between takes (a hidden tab's timers may wait a minute)", () => {
    const { store, source, clock } = openStore("", 3);
    source.send({ type: "flows", flows: [flow(1)] });
    clock.advance(0);
    source.send({ type: "flows", flows: [flow(2), flow(3)] });
    assert.equal(store.getSnapshot().flows.rows.length, 1, "two pending: waits for the interval");
    source.send({ type: "flows", flows: [flow(4)] });
    assert.deepEqual(
      store.getSnapshot().flows.rows.map((r) => r.id),
      ["u4", "u3", "u2"],
      "a buffer's worth pending: taken at once",
    );
    assert.deepEqual(clock.waiting, [], "the scheduled take went with it");
  });

  it("an end takes the pending flows first; a new view drops the old view's pending flows", () => {
    const ended = openStore();
    ended.source.send({ type: "flows", flows: [flow(1)] });
    ended.source.send({ type: "end", reason: "until" });
    assert.equal(ended.store.getSnapshot().flows.rows.length, 1);
    assert.deepEqual(ended.clock.waiting, []);

    const { store, source, clock } = openStore("namespace=a");
    source.send({ type: "flows", flows: [flow(1)] });
    store.open("namespace=b");
    assert.deepEqual(clock.waiting, [], "the old view's take is cancelled");
    FakeEventSource.opened.at(-1)!.send({ type: "flows", flows: [flow(2)] });
    clock.advance(FLOWS_PUBLISH_MS);
    assert.deepEqual(
      store.getSnapshot().flows.rows.map((r) => r.id),
      ["u2"],
    );
  });

  it("adds up lost and missed counts, keeps the relay state and the last errors", () => {
    const { store, source } = openStore();
    source.send({ type: "lost", node: "n1", source: "PERF_EVENT_RING_BUFFER", count: 3 });
    source.send({ type: "lost", node: "n2", source: "PERF_EVENT_RING_BUFFER", count: 4 });
    source.send({ type: "missed", count: 5 });
    source.send({ type: "relay", state: { kind: "failed", address: "relay:80", reason: "refused" } });
    for (let i = 0; i < 25; i++) source.send({ type: "error", code: "relay-unavailable", message: `e${i}` });
    const s = store.getSnapshot();
    assert.equal(s.gaps.lost, 7);
    assert.deepEqual(s.gaps.lostBySource, { PERF_EVENT_RING_BUFFER: 7 });
    assert.equal(s.gaps.missed, 5);
    assert.deepEqual(s.relay, { kind: "failed", address: "relay:80", reason: "refused" });
    assert.equal(s.errors.length, 20, "bounded");
    assert.equal(s.errors.at(-1), "e24");
  });

  it("ignores events whose data is not the event its name says", () => {
    const { store, source } = openStore();
    source.sendRaw("lost", "not json");
    source.sendRaw("lost", JSON.stringify({ type: "missed", count: 5 }));
    assert.equal(store.getSnapshot().gaps.lost, 0);
    assert.equal(store.getSnapshot().gaps.missed, 0);
  });

  it("an end event closes the stream; a later error does not turn it into an error", () => {
    const { store, source } = openStore();
    source.send({ type: "end", reason: "until" });
    assert.equal(source.closed, true);
    source.onerror!(new Event("error"));
    assert.equal(store.getSnapshot().ended, true);
    assert.equal(store.getSnapshot().connection, "closed");
  });

  it("a transport error before the end shows as an error (the stream retries by itself)", () => {
    const { store, source } = openStore();
    source.onerror!(new Event("error"));
    assert.equal(store.getSnapshot().connection, "error");
    assert.equal(source.closed, false);
  });

  it("opening another view closes the old stream and starts from nothing", () => {
    const { store, source, clock } = openStore("namespace=a");
    source.send({ type: "flows", flows: [flow(1)] });
    clock.advance(0);
    store.open("namespace=b");
    assert.equal(source.closed, true);
    assert.equal(store.getSnapshot().flows.rows.length, 0);
    const next = FakeEventSource.opened.at(-1)!;
    assert.equal(next.url, "/api/flows?namespace=b");
    next.send({ type: "flows", flows: [flow(2)] });
    clock.advance(FLOWS_PUBLISH_MS);
    assert.deepEqual(
      store.getSnapshot().flows.rows.map((r) => r.id),
      ["u2"],
    );
  });
});

describe("FlowStreamStore's own event stream (fetch, from a real HTTP server)", () => {
  it("takes events split across writes, reconnects after a dropped connection, and stops at the end", async () => {
    const frames = [
      encodeEvent({ type: "ready", command: "hubble observe --follow", follow: true }),
      encodeEvent({ type: "flows", flows: [flow(1), flow(2)] }),
      encodeEvent({ type: "end", reason: "complete" }),
    ];
    const flowsFrame = frames[1];
    let connections = 0;
    const server = await servePage((req, res) => {
      if (!req.url?.startsWith("/api/flows")) return void res.writeHead(404).end();
      connections++;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      // The first connection breaks mid-event, as a proxy that times out would; the retry is short.
      if (connections === 1) return void res.end(`retry: 20\n${frames[0]}${flowsFrame.slice(0, 40)}`);
      res.write(frames[0]);
      res.write(flowsFrame.slice(0, 40));
      setTimeout(() => res.write(flowsFrame.slice(40)), 20);
      setTimeout(() => res.end(frames[2]), 40);
    });
    try {
      const store = new FlowStreamStore();
      store.open("namespace=shop");
      await waitUntil(() => store.getSnapshot().ended, "the stream's end");
      const state = store.getSnapshot();
      assert.equal(connections, 2, "one reconnection after the broken connection, none after the end");
      assert.deepEqual(server.requests, ["GET /api/flows?namespace=shop", "GET /api/flows?namespace=shop"]);
      assert.deepEqual(
        state.flows.rows.map((r) => r.id),
        ["u2", "u1"],
        "the half event of the broken connection is not taken; the split one is, whole",
      );
      assert.equal(state.command, "hubble observe --follow");
      assert.equal(state.connection, "closed");
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(connections, 2, "no reconnection after the end");
    } finally {
      await server.close();
    }
  });
});

describe("FlowStreamStore.openSnapshot (an investigation's saved flows, through the API client)", () => {
  const query = (q: string) => {
    const parsed = parseFlowQueryParams(new URLSearchParams(q));
    if (!parsed.ok) throw new Error(parsed.error.message);
    return parsed.query;
  };

  it("reads the saved lines once, filters them through the view's query, and ends; unreadable lines are said", async () => {
    const lines = [JSON.stringify({ flow: flow(1) }), JSON.stringify({ flow: { ...flow(2), verdict: "DROPPED" } }), "{not json", JSON.stringify({ flow: flow(3) })];
    const server = await servePage((req, res) => {
      if (req.url !== "/api/investigations/abc_DEF-123/flows") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8" }).end(`${lines.join("\n")}\n`);
    });
    try {
      const store = new FlowStreamStore();
      store.openSnapshot("abc_DEF-123", query("verdict=FORWARDED"));
      assert.deepEqual(store.getSnapshot().savedFlows, { state: "reading" });
      await waitUntil(() => store.getSnapshot().ended, "the saved flows to load");
      const state = store.getSnapshot();
      assert.deepEqual(
        state.flows.rows.map((r) => r.id),
        ["u3", "u1"],
      );
      assert.equal(state.connection, "closed");
      assert.equal(state.errors.length, 1);
      assert.match(state.errors[0], /^1 saved line\(s\) could not be read: /);
      // Every line the server sent: what the page says remain of a referenced one's flows.
      assert.deepEqual(state.savedFlows, { state: "read", lines: 4 });
      assert.deepEqual(server.requests, ["GET /api/investigations/abc_DEF-123/flows"]);
    } finally {
      await server.close();
    }
  });

  it("holds every flow an investigation may keep, beyond the live view's capacity", async () => {
    const n = FLOW_BUFFER_CAPACITY + 5;
    const body = Array.from({ length: n }, (_, i) => JSON.stringify({ flow: flow(i) })).join("\n");
    const server = await servePage((_req, res) => res.writeHead(200, { "content-type": "application/x-ndjson" }).end(body));
    try {
      const store = new FlowStreamStore();
      store.openSnapshot("big", query(""));
      await waitUntil(() => store.getSnapshot().ended, "the saved flows to load");
      assert.equal(store.getSnapshot().flows.rows.length, n, "a shared window reopens with all its flows");
      assert.equal(store.getSnapshot().flows.rows.at(-1)?.id, "u0");
      assert.ok(MAX_INVESTIGATION_FLOWS > n);
    } finally {
      await server.close();
    }
  });

  it("an error answer: the server's message, as the stream's error", async () => {
    const server = await servePage((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not-found", message: "no such investigation: the link may be mistyped" } }));
    });
    try {
      const store = new FlowStreamStore();
      store.openSnapshot("gone", query(""));
      await waitUntil(() => store.getSnapshot().connection === "error", "the error");
      assert.deepEqual(store.getSnapshot().errors, ["The saved flows could not be loaded: no such investigation: the link may be mistyped"]);
      assert.deepEqual(store.getSnapshot().savedFlows, { state: "failed" });
    } finally {
      await server.close();
    }
  });

  it("a connection broken mid-answer: the read failed, the lines that came are not a count", async () => {
    const first = Array.from({ length: 3 }, (_, i) => `${JSON.stringify({ flow: flow(i) })}\n`).join("");
    // As Next.js answers when the store fails mid-body: what was written, then the socket destroyed.
    const server = await servePage((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(first, () => setImmediate(() => res.destroy()));
    });
    try {
      const store = new FlowStreamStore();
      store.openSnapshot("cut", query(""));
      await waitUntil(() => store.getSnapshot().connection === "error", "the broken answer");
      assert.deepEqual(store.getSnapshot().savedFlows, { state: "failed" });
    } finally {
      await server.close();
    }
  });

  it("an answer that ends mid-line (cut short, yet ended as if whole): the read failed", async () => {
    const body = Array.from({ length: 3 }, (_, i) => `${JSON.stringify({ flow: flow(i) })}\n`).join("");
    const server = await servePage((_req, res) => res.writeHead(200, { "content-type": "application/x-ndjson" }).end(body.slice(0, -20)));
    try {
      const store = new FlowStreamStore();
      store.openSnapshot("short", query(""));
      await waitUntil(() => store.getSnapshot().ended, "the saved flows to load");
      assert.equal(store.getSnapshot().flows.rows.length, 2, "the whole lines are shown");
      assert.deepEqual(store.getSnapshot().savedFlows, { state: "failed" });
    } finally {
      await server.close();
    }
  });
});
