import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync } from "node:fs";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { parseGetFlowsResponseJson } from "@/lib/flow-json";
import { parseFlowQueryParams, toHubbleFilters } from "@/lib/filter-model";
import { timestampToNs } from "@/lib/timestamp";
import { loadServerConfig } from "@/server/config/env";
import { capturesDir } from "@/server/demo-relay/test-support";
import { createRuntime, type Runtime } from "@/server/runtime";
import { flowStreamResponse } from "./flow-stream";
import { namespacesAccess } from "@/lib/access/scope";
import { closedPort, flowFromJson, predicateOf, SseClient, testDataDir, waitUntil } from "./testing";

// GET /api/flows end to end over real parts: the embedded demo relay (a real gRPC server), the
// RelayClient, the FlowFollower-based live feeds and the hub, read back as SSE with the
// browser's parser. Each flow is checked with our own implementation of Hubble's filters.

const clients: SseClient[] = [];
function open(runtime: Runtime, query: string): SseClient {
  const client = new SseClient(flowStreamResponse(new Request(`http://lens.test/api/flows?${query}`), runtime.hub));
  clients.push(client);
  return client;
}

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function flowTimeNs(json: JsonObject): bigint {
  return timestampToNs(flowFromJson(json).time);
}

describe("GET /api/flows on the starwars demo relay (seed 7)", () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await createRuntime(loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_SCENARIO: "starwars", HUBBLE_LENS_DEMO_SEED: "7" }));
  });
  after(async () => {
    await runtime.close();
  });

  /** What a direct, non-following GetFlows returns for the view's filters since `since`. */
  async function directHistory(query: string, since: Date): Promise<JsonObject[]> {
    const parsed = parseFlowQueryParams(new URLSearchParams(query));
    assert.ok(parsed.ok);
    const filters = toHubbleFilters(parsed.query);
    const req = create(GetFlowsRequestSchema, {
      whitelist: filters.whitelist,
      blacklist: filters.blacklist,
      since: timestampFromDate(since),
    });
    const out: JsonObject[] = [];
    for await (const r of runtime.client.getFlows(req)) {
      if (r.responseTypes.case === "flow") out.push({ uuid: r.responseTypes.value.uuid, time: String(timestampToNs(r.responseTypes.value.time)) });
    }
    return out;
  }

  it("two views with different filters each get exactly their flows: history as GetFlows returns it, then live", async () => {
    const since = new Date(Date.now() - 5000);
    const views = ["verdict=DROPPED", "filter=to:pod=default/deathstar"];
    const streams = views.map((q) => open(runtime, `${q}&since=${since.toISOString()}`));
    const twin = open(runtime, `verdict=DROPPED&since=${since.toISOString()}`);
    assert.equal(runtime.hub.upstreamCount, 2, "equal filters share one upstream");

    await waitUntil(() => streams.every((s) => s.flows(false).length >= 3), "live flows on both views");
    for (const [i, query] of views.entries()) {
      const s = streams[i];
      assert.equal(s.response.status, 200);
      assert.equal(s.response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      assert.equal(s.skipped, 0);
      const matches = predicateOf(query);
      const all = s.flows();
      for (const json of all) assert.ok(matches(flowFromJson(json)), `${query}: ${JSON.stringify(json).slice(0, 300)}`);
      const uuids = all.map((f) => String(f.uuid));
      assert.ok(
        uuids.every((u) => u !== ""),
        "the simulator gives every flow a uuid",
      );
      assert.equal(new Set(uuids).size, uuids.length, `${query}: no flow twice`);

      const history = s.flows(true);
      assert.ok(history.length > 0, `${query}: has history`);
      const newestNs = history.map(flowTimeNs).reduce((a, b) => (a > b ? a : b));
      const direct = (await directHistory(query, since)).filter((f) => BigInt(f.time as string) <= newestNs);
      assert.deepEqual(history.map((f) => String(f.uuid)).sort(), direct.map((f) => String(f.uuid)).sort(), query);
    }
    assert.ok(
      streams[1].flows().some((f) => f.verdict !== "DROPPED"),
      "the deathstar view is not the drop view",
    );
    await waitUntil(() => twin.flows(false).length > 0, "the twin's live flows");
    assert.ok(twin.flows().every((f) => f.verdict === "DROPPED"));
    await Promise.all([...streams, twin].map((s) => s.close()));
  });

  const READY_CASES = [
    { query: "verdict=DROPPED", command: "hubble observe --verdict DROPPED --last 1000 --follow", follow: true },
    { query: "filter=to:pod=default/deathstar&follow=false", command: "hubble observe --to-pod default/deathstar --last 1000", follow: false },
    { query: "namespace=default&since=5m", command: "hubble observe --namespace default --since 5m --follow", follow: true },
    {
      query: "verdict=FORWARDED&since=2m&until=1m",
      command: "hubble observe --verdict FORWARDED --since 2m --until 1m",
      follow: false,
    },
  ];
  for (const { query, command, follow } of READY_CASES) {
    it(`ready comes first and names the equivalent command: ${query}`, async () => {
      const s = open(runtime, query);
      await waitUntil(() => s.events.length > 0, "the first event");
      assert.deepEqual(s.events[0], { type: "ready", command, follow });
      await s.close();
    });
  }

  it("follow=false sends the history, then end(complete), and closes", async () => {
    const s = open(runtime, "verdict=DROPPED&follow=false");
    await waitUntil(() => s.done, "the stream to close");
    assert.equal(s.failure, undefined);
    assert.deepEqual(s.events.at(-1), { type: "end", reason: "complete" });
    assert.equal(s.of("end").length, 1);
    assert.ok(s.flows().length > 0);
    assert.equal(s.flows(false).length, 0, "nothing live");
    assert.ok(s.flows().every((f) => f.verdict === "DROPPED"));
  });

  it("with namespace-scoped access: only flows to or from those namespaces, live too, and the map of those alone", async () => {
    const access = namespacesAccess(["kube-system"]);
    const s = new SseClient(flowStreamResponse(new Request("http://lens.test/api/flows?since=30s"), runtime.hub, new Date(), undefined, access));
    clients.push(s);
    await waitUntil(() => s.flows(false).length > 0, "live flows");
    const inScope = (f: JsonObject) => (f.source as JsonObject | undefined)?.namespace === "kube-system" || (f.destination as JsonObject | undefined)?.namespace === "kube-system";
    assert.ok(s.flows().length > 0);
    for (const f of s.flows()) assert.ok(inScope(f), JSON.stringify([f.source, f.destination]).slice(0, 200));
    // Someone who sees everything, on the same view, gets more: they do not share the restricted stream.
    const all = open(runtime, "since=30s");
    await waitUntil(() => all.flows().some((f) => !inScope(f)), "flows outside kube-system for everyone else");
    const forbidden = flowStreamResponse(new Request("http://lens.test/api/flows?namespace=default"), runtime.hub, new Date(), undefined, access);
    assert.equal(forbidden.status, 403);
    await Promise.all([s.close(), all.close()]);
  });

  it("until ends the stream with end(until), and no flow is after it", async () => {
    const until = new Date(Date.now() - 2000);
    const s = open(runtime, `since=10s&until=${until.toISOString()}`);
    await waitUntil(() => s.done, "the stream to close");
    assert.deepEqual(s.events.at(-1), { type: "end", reason: "until" });
    const untilNs = BigInt(until.getTime()) * 1_000_000n;
    assert.ok(s.flows().length > 0);
    assert.ok(s.flows().every((f) => flowTimeNs(f) <= untilNs));
  });

  it("a client going away closes its stream and leaves its upstream", async () => {
    const abort = new AbortController();
    const res = flowStreamResponse(new Request("http://lens.test/api/flows?verdict=AUDIT", { signal: abort.signal }), runtime.hub);
    const s = new SseClient(res);
    clients.push(s);
    await waitUntil(() => s.of("relay").some((e) => e.state.kind === "live"), "the live upstream");
    const upstreams = runtime.hub.upstreamCount;
    abort.abort();
    await waitUntil(() => s.done, "the body to end");
    assert.equal(s.of("end").length, 0, "nobody is left to read an end event");
    assert.equal(runtime.hub.upstreamCount, upstreams, "the upstream lingers for a reload");
  });

  const BAD_PARAMS = [
    { query: "verdict=NOPE", param: "verdict" },
    { query: "filter=pod=", param: "filter" },
    { query: "since=yesterday", param: "since" },
    { query: "until=soon", param: "until" },
    { query: "filter=http-path=(", param: "filter" },
    { query: "namespace=Not_A_Namespace", param: "namespace" },
    { query: "follow=maybe", param: "follow" },
    { query: "since=1m&until=5m", param: "until" },
  ];
  for (const { query, param } of BAD_PARAMS) {
    it(`an invalid parameter gets a 400 naming it: ${query}`, async () => {
      const res = flowStreamResponse(new Request(`http://lens.test/api/flows?${query}`), runtime.hub);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; param: string; message: string } };
      assert.equal(body.error.code, "invalid-query");
      assert.equal(body.error.param, param);
      assert.ok(body.error.message.startsWith(`${param}: `), body.error.message);
    });
  }
});

describe("GET /api/flows on a replayed capture", () => {
  const file = path.join(capturesDir, "hubble-otel-basic-sample-400-tcp-flows.jsonl");
  let runtime: Runtime;
  before(async () => {
    runtime = await createRuntime(loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_REPLAY: file }));
  });
  after(async () => {
    await runtime.close();
  });

  it("a bounded view returns exactly the capture's flows that match its filter", async () => {
    // The first pass of a looping replay ends at start; the second begins a second later.
    const query = "filter=to:pod=bookinfo/reviews&verdict=FORWARDED";
    const matches = predicateOf(query);
    const expected = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => parseGetFlowsResponseJson(l))
      .flatMap((r) => (r.responseTypes.case === "flow" && matches(r.responseTypes.value) ? [r.responseTypes.value] : []));
    assert.ok(expected.length > 10);

    const s = open(runtime, `${query}&until=${new Date(runtime.demoRelay!.startedAtMs + 200).toISOString()}`);
    await waitUntil(() => s.done, "the stream to close");
    assert.deepEqual(s.events.at(-1), { type: "end", reason: "until" });
    const got = s.flows().map(flowFromJson);
    const summary = (f: (typeof got)[number]) => `${f.IP?.source} ${f.IP?.destination} ${f.Summary} ${f.traceObservationPoint}`;
    assert.deepEqual(got.map(summary).sort(), expected.map(summary).sort());
  });
});

describe("GET /api/flows with the relay unreachable", () => {
  let runtime: Runtime;
  let address: string;
  before(async () => {
    address = `127.0.0.1:${await closedPort()}`;
    runtime = await createRuntime(loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_RELAY_ADDR: address, HUBBLE_DIAL_TIMEOUT: "300ms" }));
  });
  after(async () => {
    await runtime.close();
  });

  it("the stream stays open and reports relay reconnecting, with address, attempt and next try", async () => {
    const startedAt = Date.now();
    const s = open(runtime, "verdict=DROPPED");
    assert.equal(s.response.status, 200);
    await waitUntil(() => s.of("relay").some((e) => e.state.kind === "reconnecting"), "a reconnecting event");
    assert.deepEqual(s.events[0], { type: "ready", command: "hubble observe --verdict DROPPED --last 1000 --follow", follow: true });
    const reconnecting = s.of("relay").find((e) => e.state.kind === "reconnecting")!.state;
    assert.equal(reconnecting.kind, "reconnecting");
    if (reconnecting.kind !== "reconnecting") return;
    assert.equal(reconnecting.address, address);
    assert.equal(reconnecting.attempt, 1);
    assert.ok(Date.parse(reconnecting.nextTryAt) >= startedAt, reconnecting.nextTryAt);
    assert.match(reconnecting.lastError, /not reachable/);
    await waitUntil(() => s.of("error").length > 0, "the history error");
    assert.equal(s.of("error")[0].code, "relay-unavailable");
    assert.equal(s.of("end").length, 0);
    assert.equal(s.done, false);
  });
});
