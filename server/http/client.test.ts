import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { ApiError, createApiClient, type ApiClient } from "@/lib/api/client";
import { namespacesAccess } from "@/lib/access/scope";
import { parseJsonLines, flowToJsonObject } from "@/lib/flow-json";
import { loadServerConfig } from "@/server/config/env";
import { RelayClient } from "@/server/relay-client/relay-client";
import { createRuntime, type Runtime } from "@/server/runtime";
import { explainResponse } from "./explain";
import { flowCountsResponse } from "./flow-counts";
import { flowHistoryResponse } from "./flow-history";
import { namespacesResponse } from "./namespaces";
import { policiesResponse } from "./policies";
import { sessionResponse } from "./session";
import { statusResponse } from "./status";
import { closedPort, serveRoutes, testDataDir } from "./testing";

// The browser's client (lib/api/client.ts) over real fetch, against the real route bodies behind a
// real HTTP server, on the starwars demo relay: what the components get, answers and errors alike.

type Route = (request: Request) => Promise<Response> | Response;

function router(routes: Record<string, Route>): (request: Request) => Promise<Response> | Response | undefined {
  return (request) => routes[`${request.method} ${new URL(request.url).pathname}`]?.(request);
}

describe("the API client against the real routes (starwars demo relay, seed 7)", () => {
  let runtime: Runtime;
  let server: Awaited<ReturnType<typeof serveRoutes>>;
  let api: ApiClient;
  const viewer = { user: "leia", email: "leia@rebels.example", groups: ["rebels"], access: namespacesAccess(["default"]), mode: "proxy" as const };

  before(async () => {
    runtime = await createRuntime(
      loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_SCENARIO: "starwars", HUBBLE_LENS_DEMO_SEED: "7", HUBBLE_LENS_HISTORY: "off" }),
    );
    server = await serveRoutes(
      router({
        "GET /api/status": () => statusResponse(runtime.status, { relayChecked: () => {} }),
        "GET /api/namespaces": () => namespacesResponse(runtime.client),
        "GET /api/session": () => sessionResponse(viewer),
        "GET /api/policies": (r) => policiesResponse(r, runtime.policies),
        "POST /api/explain": (r) => explainResponse(r, runtime.policies),
        "GET /api/flows/history": (r) => flowHistoryResponse(r, runtime.flows),
        "GET /api/flows/counts": (r) => flowCountsResponse(r, runtime.history),
      }),
    );
    api = createApiClient({ origin: server.origin });
  });
  after(async () => {
    await server.close();
    await runtime.close();
  });

  it("status, namespaces and session come back typed", async () => {
    const status = await api.status();
    assert.equal(status.relay.reachable, true);
    assert.equal(status.relay.demo, true);
    assert.ok(status.nodes.connected > 0);
    const namespaces = await api.namespaces();
    assert.ok(
      namespaces.some((n) => n.namespace === "default"),
      JSON.stringify(namespaces),
    );
    assert.deepEqual(await api.session(), { user: "leia", email: "leia@rebels.example", groups: ["rebels"], auth: "proxy", namespaces: ["default"] });
  });

  it("reads flow history lines, and explains one of them with the policy version it used", async () => {
    const text = await api.flowHistory(new URLSearchParams({ verdict: "DROPPED", limit: "1" }));
    const line = [...parseJsonLines(text)].find((l) => l.ok && l.response.responseTypes.case === "flow");
    assert.ok(line?.ok && line.response.responseTypes.case === "flow", text.slice(0, 300));
    const flow = flowToJsonObject(line.response.responseTypes.value);
    const policies = await api.policies();
    assert.ok(policies.policies.length > 0);
    const result = await api.explain({ flow, at: "now" });
    assert.equal(result.explanation.verdict, "denied");
    assert.equal(result.version, String(policies.version));
    assert.equal(result.since, policies.since);
  });

  it("the policies in force at a time: the same set before the first change", async () => {
    const now = await api.policies();
    const then = await api.policies(new Date(Date.parse(now.since) + 1));
    assert.equal(then.version, now.version);
  });

  it("a bad parameter is an ApiError with the server's code, message, status and parameter", async () => {
    const err = await api.flowHistory(new URLSearchParams({ since: "yesterday-ish" })).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError, String(err));
    assert.deepEqual([err.code, err.status, err.param], ["invalid-query", 400, "since"]);
    assert.match(err.message, /^since: /);
  });

  it("a request the server refuses by its body is an ApiError too (explain without a flow)", async () => {
    const err = await api.explain({ flow: undefined }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.code, err.status], ["invalid-explain-request", 400]);
    assert.match(err.message, /"flow"/);
  });

  it("counts with flow history off: 501 history-off, with the server's explanation", async () => {
    const err = await api.flowCounts(new URLSearchParams({ since: "1h" })).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.code, err.status], ["history-off", 501]);
    assert.match(err.message, /HUBBLE_LENS_HISTORY=off/);
  });

  it("an abort is passed through as the AbortError it is, not turned into an ApiError", async () => {
    const controller = new AbortController();
    const pending = api.flowHistory(new URLSearchParams({ limit: "100000" }), controller.signal);
    controller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof Error && e.name === "AbortError" && !(e instanceof ApiError));
  });
});

describe("the API client when things around Hubble Lens fail", () => {
  it("the relay is unreachable: 503 relay-unavailable with the relay client's message", async () => {
    const client = new RelayClient({ address: `127.0.0.1:${await closedPort()}`, tls: null, dialTimeoutMs: 300, requestTimeoutMs: 1000 });
    const server = await serveRoutes(() => namespacesResponse(client));
    try {
      const err = await createApiClient({ origin: server.origin })
        .namespaces()
        .catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.deepEqual([err.code, err.status], ["relay-unavailable", 503]);
      assert.match(err.message, /Hubble Relay is not reachable/);
    } finally {
      await server.close();
      client.close();
    }
  });

  it("a proxy answers with its own HTML 502 page: a clear message, not a JSON parse error", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx/1.27</body></html>";
    const server = await serveRoutes(() => new Response(page, { status: 502, headers: { "content-type": "text/html" } }));
    try {
      const err = await createApiClient({ origin: server.origin })
        .status()
        .catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.deepEqual([err.code, err.status], ["unknown", 502]);
      assert.match(err.message, /^GET \/api\/status failed: HTTP 502 Bad Gateway, with an HTML page titled "502 Bad Gateway"/);
    } finally {
      await server.close();
    }
  });

  it("a 200 that is not the JSON asked for (a login page from a proxy) is an ApiError, not a crash later", async () => {
    const server = await serveRoutes(() => new Response("<html><title>Sign in</title></html>", { status: 200, headers: { "content-type": "text/html" } }));
    try {
      const err = await createApiClient({ origin: server.origin })
        .namespaces()
        .catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.match(err.message, /^GET \/api\/namespaces answered something that is not JSON: <html><title>Sign in/);
    } finally {
      await server.close();
    }
  });

  it("nothing listens: network-error with status 0", async () => {
    const err = await createApiClient({ origin: `http://127.0.0.1:${await closedPort()}` })
      .session()
      .catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.code, err.status], ["network-error", 0]);
    assert.match(err.message, /^GET \/api\/session could not be sent: Hubble Lens or the network is down/);
  });

  it("sends its body as JSON and names the signal it was given (the one place a fake fetch checks the input)", async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), init });
      return Response.json({ verdict: "allowed" }, { headers: { "X-Hubble-Lens-Policy-Version": "3" } });
    };
    const controller = new AbortController();
    const result = await createApiClient({ origin: "http://lens.test", fetch: fake }).explain({ flow: { verdict: "FORWARDED" }, at: "flow" }, controller.signal);
    assert.equal(result.version, "3");
    assert.equal(seen[0].url, "http://lens.test/api/explain");
    assert.equal(seen[0].init?.method, "POST");
    assert.equal(seen[0].init?.signal, controller.signal);
    assert.deepEqual(JSON.parse(String(seen[0].init?.body)), { flow: { verdict: "FORWARDED" }, at: "flow" });
    assert.equal(new Headers(seen[0].init?.headers).get("content-type"), "application/json");
  });
});
