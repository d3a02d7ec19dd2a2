import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getFlowsResponseToJson, parseGetFlowsResponseJson } from "@/lib/flow-json";
import { loadServerConfig } from "@/server/config/env";
import { captureDir, getFlows, startRelayWithClient } from "@/server/demo-relay/test-support";
import { RelayClient } from "@/server/relay-client/relay-client";
import { createRuntime, type Runtime } from "@/server/runtime";
import { flowHistoryResponse } from "./flow-history";
import { namespacesAccess } from "@/lib/access/scope";
import { closedPort, predicateOf, testDataDir } from "./testing";

// GET /api/flows/history over a real runtime: `hubble observe -o jsonpb` lines that the demo
// relay's --replay reads back unchanged.

function history(client: RelayClient, query: string): Promise<Response> {
  return flowHistoryResponse(new Request(`http://lens.test/api/flows/history?${query}`), client);
}

/** A line's flow time in ns since the epoch (RFC 3339 strings with different fraction lengths do not compare as text). */
function timeOf(line: string): bigint {
  return rfc3339Ns((JSON.parse(line) as { time: string }).time);
}

function rfc3339Ns(text: string): bigint {
  const [whole, frac = ""] = text.replace(/Z$/, "").split(".");
  return BigInt(Date.parse(`${whole}Z`)) * 1_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9));
}

const byNs = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

describe("GET /api/flows/history on the starwars demo relay (seed 7)", () => {
  let runtime: Runtime;
  const dir = captureDir();
  before(async () => {
    runtime = await createRuntime(loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_SCENARIO: "starwars", HUBBLE_LENS_DEMO_SEED: "7" }));
  });
  after(async () => {
    await runtime.close();
    dir.cleanup();
  });

  it("answers jsonpb lines that parse, match the filter, and replay through the demo relay intact", async () => {
    const query = "filter=to:pod=default/deathstar";
    const res = await history(runtime.client, `${query}&limit=300`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson; charset=utf-8");
    const written = lines(await res.text());
    assert.equal(written.length, 300);
    const matches = predicateOf(query);
    for (const line of written) {
      const r = parseGetFlowsResponseJson(line);
      assert.equal(r.responseTypes.case, "flow", "files hold flows (and lost events), no node status");
      if (r.responseTypes.case === "flow") assert.ok(matches(r.responseTypes.value));
    }

    const file = dir.write(
      "history.jsonl",
      written.map((l) => JSON.parse(l) as Record<string, unknown>),
    );
    const replay = await startRelayWithClient({ replay: file });
    try {
      const replayed = (await getFlows(replay.client, { number: 0n })).filter((r) => r.responseTypes.case !== "nodeStatus").map(getFlowsResponseToJson);
      assert.deepEqual([...replayed].sort(), [...written].sort());
    } finally {
      await replay.close();
    }
  });

  it("limit bounds the number of flows", async () => {
    const res = await history(runtime.client, "limit=5");
    assert.equal(res.status, 200);
    assert.equal(lines(await res.text()).length, 5);
  });

  it("without since, limit keeps the newest flows, like hubble observe --last", async () => {
    const all = lines(await (await history(runtime.client, "limit=100000")).text()).map(timeOf);
    const newest5 = lines(await (await history(runtime.client, "limit=5")).text()).map(timeOf);
    const cutoff = [...all].sort(byNs).at(-40)!; // the relay keeps streaming: allow for flows added meanwhile
    for (const t of newest5) assert.ok(t >= cutoff, `${t} is not among the newest flows`);
  });

  it("with since, limit keeps the first flows from then on", async () => {
    const since = new Date(Date.now() - 20_000).toISOString();
    const sinceNs = rfc3339Ns(since);
    const all = lines(await (await history(runtime.client, `since=${since}&limit=100000`)).text())
      .map(timeOf)
      .sort(byNs);
    const first5 = lines(await (await history(runtime.client, `since=${since}&limit=5`)).text()).map(timeOf);
    assert.equal(first5.length, 5);
    for (const t of first5) assert.ok(t >= sinceNs && t <= all[15], `${t} is not among the first flows after ${since}`);
  });

  it("with namespace-scoped access, the relay sends only flows to or from those namespaces", async () => {
    const kubeSystem = namespacesAccess(["kube-system"]);
    const res = await flowHistoryResponse(new Request("http://lens.test/api/flows/history?limit=2000"), runtime.client, kubeSystem);
    assert.equal(res.status, 200);
    const flows = lines(await res.text())
      .map((l) => parseGetFlowsResponseJson(l))
      .filter((r) => r.responseTypes.case === "flow");
    assert.ok(flows.length > 0, "kube-dns lookups reach kube-system");
    for (const r of flows) {
      const f = r.responseTypes.value as { source?: { namespace: string }; destination?: { namespace: string } };
      assert.ok(f.source?.namespace === "kube-system" || f.destination?.namespace === "kube-system", JSON.stringify([f.source?.namespace, f.destination?.namespace]));
    }
    const others = lines(await (await history(runtime.client, "limit=2000")).text()).filter((l) => !l.includes('"namespace":"kube-system"'));
    assert.ok(others.length > 0, "others' flows exist (and were left out above)");
  });

  it("with namespace-scoped access, asking for another namespace is a 403", async () => {
    const res = await flowHistoryResponse(new Request("http://lens.test/api/flows/history?namespace=default"), runtime.client, namespacesAccess(["kube-system"]));
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "forbidden-namespace");
    const none = await flowHistoryResponse(new Request("http://lens.test/api/flows/history"), runtime.client, namespacesAccess([]));
    assert.equal(none.status, 403);
  });

  it("last=N with since and until keeps the newest N of that window, first=N the oldest N", async () => {
    const since = new Date(Date.now() - 20_000).toISOString();
    const until = new Date(Date.now() - 5_000).toISOString();
    const window = `since=${since}&until=${until}`;
    const all = lines(await (await history(runtime.client, `${window}&limit=100000`)).text())
      .map(timeOf)
      .sort(byNs);
    assert.ok(all.length > 50, `the window holds flows (${all.length})`);
    assert.ok(all[0] >= rfc3339Ns(since) && all.at(-1)! <= rfc3339Ns(until), "every flow inside the window");
    // The window is closed (until is in the past): every answer is exact.
    const last = lines(await (await history(runtime.client, `${window}&last=7`)).text())
      .map(timeOf)
      .sort(byNs);
    assert.deepEqual(last, all.slice(-7));
    const first = lines(await (await history(runtime.client, `${window}&first=7`)).text())
      .map(timeOf)
      .sort(byNs);
    assert.deepEqual(first, all.slice(0, 7));
  });

  it("first=N without since takes the oldest flows the relay holds, like hubble observe --first", async () => {
    const all = lines(await (await history(runtime.client, "limit=100000")).text())
      .map(timeOf)
      .sort(byNs);
    const first = lines(await (await history(runtime.client, "first=5")).text())
      .map(timeOf)
      .sort(byNs);
    assert.equal(first.length, 5);
    // Per node, as the relay counts it (the demo relay has several nodes): among the oldest held.
    for (const t of first) assert.ok(t <= all[40], `${t} is not among the oldest flows`);
  });

  const BAD = [
    { query: "limit=0", param: "limit" },
    { query: "limit=ten", param: "limit" },
    { query: "limit=100001", param: "limit" },
    { query: "limit=1.5", param: "limit" },
    { query: "last=0", param: "last" },
    { query: "first=-3", param: "first" },
    { query: "first=5&last=5", param: "last" },
    { query: "verdict=NOPE", param: "verdict" },
    { query: "filter=http-path=(", param: "filter" },
  ];
  for (const { query, param } of BAD) {
    it(`an invalid parameter gets a 400 naming it: ${query}`, async () => {
      const res = await history(runtime.client, query);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { param: string } };
      assert.equal(body.error.param, param);
    });
  }
});

describe("GET /api/flows/history with the relay unreachable", () => {
  let client: RelayClient;
  before(async () => {
    client = new RelayClient({ address: `127.0.0.1:${await closedPort()}`, tls: null, dialTimeoutMs: 300, requestTimeoutMs: 1000 });
  });
  after(() => client.close());

  it("answers 503 with a JSON error, not a 200 stream", async () => {
    const res = await history(client, "verdict=DROPPED");
    assert.equal(res.status, 503);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "relay-unavailable");
    assert.match(body.error.message, /not reachable/);
    assert.doesNotMatch(body.error.message, /ECONNREFUSED|rpc error/, "no internals in the message");
  });
});
