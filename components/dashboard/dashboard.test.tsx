import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import type { QueryClient } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
// The context Next.js's useSearchParams reads; the App Router provides it in the page.
import { SearchParamsContext } from "next/dist/shared/lib/hooks-client-context.shared-runtime";
import type { InvestigationView } from "@/lib/api/investigations";
import { DEFAULT_SETTINGS, type PoliciesResponse } from "@/lib/policy/types";
import { waitUntil } from "@/lib/testing/wait";
import { FakeEventSource } from "@/components/testing/event-source";
import { testQueryClient, withQueryClient } from "@/components/testing/queries";
import { RELAY_ADDRESS, relayStatus } from "@/components/testing/relay-status";
import { type PageServer, servePage } from "@/components/testing/server";
import { Dashboard } from "./dashboard";

// The whole page, without a browser build: the App Router's search params from a provider, the
// flow stream from a fake event stream the test plays the server through, the request/response
// routes (status, namespaces, session, policies) from a small HTTP server, and the one input
// happy-dom cannot give, the size of things, faked.

const NO_POLICIES: PoliciesResponse = {
  source: "none",
  status: { state: "ready", message: null },
  version: 1,
  since: "2026-01-01T00:00:00Z",
  policies: [],
  namespaceLabels: {},
  settings: DEFAULT_SETTINGS,
  problems: [],
  history: [],
};

const ANSWERS: Record<string, unknown> = {
  "/api/status": relayStatus(),
  "/api/namespaces": { namespaces: [{ cluster: "", namespace: "shop" }] },
  "/api/session": { user: "anonymous", email: null, groups: [], auth: "none", namespaces: "*" },
  "/api/policies": NO_POLICIES,
};

/** NDJSON answers (an investigation's saved flows), by path. */
const LINES: Record<string, string> = {};

let server: PageServer;
/** How many requests the server had seen when the current test's page was rendered. */
let requestsBefore = 0;
/** The routes the current test's page asks for on load. */
let pageAsks = Object.keys(ANSWERS);
/** The current test's page's query client. */
let queries: QueryClient;
const realRect = HTMLElement.prototype.getBoundingClientRect;
before(async () => {
  server = await servePage((req, res) => {
    const lines = LINES[req.url!];
    if (lines !== undefined) return void res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8" }).end(lines);
    const body = ANSWERS[req.url!];
    if (body === undefined) res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not-found", message: "not here" } }));
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  // The panels' sizes (happy-dom lays nothing out): a 1440×900 window's map panel and flow table.
  HTMLElement.prototype.getBoundingClientRect = function () {
    return { x: 0, y: 0, top: 0, left: 0, right: 1438, bottom: 347, width: 1438, height: 347, toJSON: () => ({}) } as DOMRect;
  };
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 400 });
});
after(async () => {
  HTMLElement.prototype.getBoundingClientRect = realRect;
  delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
  await server.close();
});
beforeEach(() => {
  FakeEventSource.opened = [];
});
afterEach(async () => {
  // Every route the page asks for on load has answered and the answers are read, so no request is
  // cut off when the page goes (happy-dom's fetch can take a few hundred milliseconds here).
  await waitUntil(
    () => pageAsks.every((path) => server.requests.slice(requestsBefore).includes(`GET ${path}`)) && queries.isFetching() === 0,
    "the page's requests to be answered",
  );
  cleanup();
  localStorage.clear();
  window.history.replaceState(null, "", "/");
});

/** A forwarded flow frontend → checkout `s` seconds into 2026, uuid `u<s>`. */
function flow(s: number): JsonObject {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString(),
    uuid: `u${s}`,
    verdict: "FORWARDED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 40000 + s, destination_port: 8080 } },
    source: { namespace: "shop", pod_name: `frontend-${s}`, labels: ["k8s:app=frontend"], workloads: [{ name: "frontend", kind: "Deployment" }] },
    destination: { namespace: "shop", pod_name: "checkout-1", labels: ["k8s:app=checkout"], workloads: [{ name: "checkout", kind: "Deployment" }] },
    node_name: "node-a",
    Type: "L3_L4",
    traffic_direction: "EGRESS",
  };
}

/** The page at `/?<search>`, as the App Router renders it; the stream it opened. */
function renderPage(search = "") {
  window.history.replaceState(null, "", `/${search ? `?${search}` : ""}`);
  requestsBefore = server.requests.length;
  pageAsks = Object.keys(ANSWERS);
  function Router() {
    const [params] = useState(() => new URLSearchParams(search));
    return (
      <SearchParamsContext.Provider value={params}>
        <Dashboard openStream={FakeEventSource.open} />
      </SearchParamsContext.Provider>
    );
  }
  queries = testQueryClient();
  render(withQueryClient(<Router />, queries));
  const stream = FakeEventSource.opened.at(-1);
  assert.ok(stream, "the page opened its flow stream");
  return stream;
}

const shownIds = () => [...document.querySelectorAll("[data-flow-id]")].map((e) => e.getAttribute("data-flow-id"));

describe("Dashboard", () => {
  it("opens the flow stream with the URL's view, says what excludes everything while empty, then shows the flows that arrive, newest first", async () => {
    const stream = renderPage("namespace=shop");
    assert.equal(stream.url, "/api/flows?namespace=shop");
    stream.onopen?.(new Event("open"));
    stream.send({ type: "relay", state: { kind: "live", address: RELAY_ADDRESS, since: "2026-01-01T00:00:00Z" } });
    await waitUntil(() => screen.queryByRole("button", { name: /^Live · 2\/2 nodes/ }) !== null, "the status button to say the stream is live");
    const empty = screen.getByRole("region", { name: "No flows" });
    assert.equal(within(empty).getByRole("heading", { level: 2 }).textContent, "No flows match");
    assert.match(empty.textContent!, /NamespacesshopRemove a filter/, "the URL's namespace is the setting named");

    stream.send({ type: "flows", flows: [flow(1), flow(2)] });
    stream.send({ type: "flows", flows: [flow(3)] });
    await waitUntil(() => shownIds().length === 3, "the flows to show");
    assert.deepEqual(shownIds(), ["u3", "u2", "u1"]);
    assert.equal(screen.queryByRole("region", { name: "No flows" }), null);
  });

  it("a click on a row opens the drawer on that flow and puts it in the URL; closing it takes it out", async () => {
    const stream = renderPage();
    stream.onopen?.(new Event("open"));
    stream.send({ type: "flows", flows: [flow(1), flow(2)] });
    await waitUntil(() => shownIds().length === 2, "the flows to show");
    assert.equal(screen.queryByRole("dialog", { name: "Flow details" }), null);

    const row = document.querySelector('[data-flow-id="u1"]')!;
    fireEvent.pointerDown(row, { button: 0 });
    fireEvent.click(row);
    const drawer = await screen.findByRole("dialog", { name: "Flow details" });
    assert.match(drawer.textContent!, /frontend-1/, "the clicked flow's source pod");
    assert.doesNotMatch(drawer.textContent!, /frontend-2/);
    assert.ok(within(drawer).getByRole("button", { name: "Copy raw JSON line" }), "its raw JSON is there: the flow was found in the buffer");
    const url = new URLSearchParams(window.location.search);
    assert.equal(url.get("flow"), "u1");
    assert.equal(url.get("panel"), "details");

    fireEvent.click(within(drawer).getByRole("button", { name: "Close flow details" }));
    await waitUntil(() => screen.queryByRole("dialog", { name: "Flow details" }) === null, "the drawer to close");
    assert.equal(new URLSearchParams(window.location.search).get("flow"), null);
  });
});

describe("Dashboard: what the view could not count", () => {
  it("says when Hubble lost flows (the map counts only what arrived) and when the page missed some of the table", async () => {
    const stream = renderPage();
    stream.onopen?.(new Event("open"));
    stream.send({ type: "flows", flows: [flow(1)] });
    const budget = { budget: 1000, seen: { forwarded: 20_000, priority: 0 }, sent: { forwarded: 1000, priority: 0 } };
    stream.send({ type: "sampling", account: budget });
    const sampling = await screen.findByTestId("sampling-notice");
    assert.match(sampling.textContent!, /count every flow\. Pause/);
    assert.equal(screen.queryByTestId("gaps-notice"), null, "no gap, no notice");

    stream.send({ type: "lost", node: "node-a", source: "HUBBLE_RING_BUFFER", count: 4000 });
    stream.send({ type: "lost", node: "node-b", source: "OBSERVER_EVENTS_QUEUE", count: 96 });
    const gaps = await screen.findByTestId("gaps-notice");
    assert.equal(gaps.textContent, "Hubble lost 4,096 flows in the last 5 min");
    assert.match(gaps.getAttribute("title")!, /^Hubble lost 4,096 flows in the last 5 min: the map and the Drops view count only the flows that arrived\./);
    assert.match(gaps.getAttribute("title")!, /\nHUBBLE_RING_BUFFER: 4,000 .*\nOBSERVER_EVENTS_QUEUE: 96 /s);
    assert.match(screen.getByTestId("sampling-notice").textContent!, /count every flow that arrived\. Pause/);

    stream.send({ type: "missed", count: 250 });
    await waitUntil(() => /this page missed 250 flows of the table/.test(screen.getByTestId("gaps-notice").textContent!), "the missed flows to be said");
  });
});

describe("Dashboard on an investigation page", () => {
  const ID = "abcdefghijklmnopqrstuv";
  const referenced: InvestigationView = {
    id: ID,
    title: "Checkout flows",
    note: "",
    view: "",
    selectedFlow: null,
    createdAt: "2026-01-01T00:02:00.000Z",
    flowCount: 5,
    flowSource: "reference",
    policies: { policies: [], namespaceLabels: {}, settings: DEFAULT_SETTINGS, version: 1, since: "2026-01-01T00:00:00.000Z" },
    owner: "alice",
    sharedWith: [],
    canDelete: false,
    reference: { since: "2026-01-01T00:00:00.000Z", until: "2026-01-01T00:01:00.000Z", savedCount: 5, history: "on", reachesBack: "2026-01-01T00:00:02.000Z" },
  };

  it("a referenced one: its flows read once, and the banner says from the lines received how many of those saved remain", async () => {
    LINES[`/api/investigations/${ID}/flows`] = [flow(3), flow(4), flow(5)].map((f) => `${JSON.stringify({ flow: f })}\n`).join("");
    window.history.replaceState(null, "", `/investigations/${ID}`);
    requestsBefore = server.requests.length;
    // Its saved policies, not today's.
    pageAsks = Object.keys(ANSWERS).filter((path) => path !== "/api/policies");
    function Router() {
      const [params] = useState(() => new URLSearchParams());
      return (
        <SearchParamsContext.Provider value={params}>
          <Dashboard investigation={referenced} openStream={FakeEventSource.open} />
        </SearchParamsContext.Provider>
      );
    }
    queries = testQueryClient();
    render(withQueryClient(<Router />, queries));
    assert.match(screen.getByTestId("investigation-reference").textContent!, /^Flows read from the flow history: 5 flows from .* when saved; reading them…$/);

    await waitUntil(() => screen.queryByTestId("investigation-retention") !== null, "the banner to say how many remain");
    assert.equal(
      screen.getByTestId("investigation-retention").textContent,
      "3 of the 5 flows saved remain: retention has removed the others (the flow history now reaches back to 2026-01-01T00:00:02.000Z; this window starts 2026-01-01T00:00:00.000Z).",
    );
    await waitUntil(() => shownIds().length === 3, "the flows that remain to show");
    assert.equal(FakeEventSource.opened.length, 0, "no live stream");
    assert.equal(server.requests.slice(requestsBefore).filter((r) => r.startsWith(`GET /api/investigations/${ID}/flows`)).length, 1, "its flows read once");
  });
});
