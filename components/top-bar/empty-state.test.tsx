import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { QueryClient } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { parseFilterEntry } from "@/lib/filter-model";
import type { RelayStatusView } from "@/lib/api/status";
import type { RelayStateView } from "@/lib/sse";
import { waitUntil } from "@/lib/testing/wait";
import { defaultViewState, type ViewState } from "@/lib/view-state";
import { testQueryClient, withQueryClient } from "@/components/testing/queries";
import { historyStatus, RELAY_ADDRESS, relayStatus } from "@/components/testing/relay-status";
import { type PageServer, servePage } from "@/components/testing/server";
import { EmptyState } from "./empty-state";
import { STATUS_QUERY_KEY } from "./queries";

// What the flow table says when it has nothing to show. The relay's status comes from the
// /api/status query the status button shares: already in the page's query cache (as the status
// button loaded it), or fetched from a small HTTP server standing in for Hubble Lens.

afterEach(async () => {
  // A fetch still under way would be cut off when the server closes.
  await waitUntil(() => queries.isFetching() === 0, "/api/status to answer");
  cleanup();
});

let answer: RelayStatusView = relayStatus();
let server: PageServer;
before(async () => {
  server = await servePage((req, res) => {
    if (req.url !== "/api/status") res.writeHead(404).end();
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  });
});
after(() => server.close());

const LIVE: RelayStateView = { kind: "live", address: RELAY_ADDRESS, since: "2026-01-01T10:00:00Z" };
const agoIso = (s: number) => new Date(Date.now() - s * 1000).toISOString();

function viewWith(query: Partial<ViewState["query"]> = {}, rest: Partial<ViewState> = {}): ViewState {
  const v = defaultViewState();
  return { ...v, ...rest, query: { ...v.query, ...query } };
}

let queries: QueryClient;

/** The empty state under a query client holding `status` (fresh: not fetched again), or fetching it when left out. */
function renderEmpty(props: { relay?: RelayStateView; status?: RelayStatusView; view?: ViewState; held?: number; l7Seen?: boolean }) {
  queries = testQueryClient();
  if (props.status) {
    queries.setQueryDefaults(STATUS_QUERY_KEY, { staleTime: Infinity });
    queries.setQueryData(STATUS_QUERY_KEY, props.status);
  }
  render(withQueryClient(<EmptyState relay={props.relay} view={props.view ?? viewWith()} rowsTotalBeforeFocus={props.held ?? 0} l7Seen={props.l7Seen ?? false} />, queries));
  const region = screen.getByRole("region", { name: "No flows" });
  return { region, heading: () => screen.getByRole("heading", { level: 2 }).textContent };
}

const L7_HINT = /No L7 records seen: no L7 visibility configured/;

describe("EmptyState", () => {
  it("while the stream connects: connecting, with the relay's address", () => {
    const { region, heading } = renderEmpty({ relay: { kind: "connecting", address: RELAY_ADDRESS }, status: relayStatus() });
    assert.equal(heading(), "Connecting to Hubble Relay…");
    assert.match(region.textContent!, new RegExp(`Address ${RELAY_ADDRESS.replaceAll(".", "\\.")}`));
  });

  it("relay unreachable: the address and the error, whether Hubble Lens keeps retrying, how to fix it, and no L7 hint", () => {
    const cases: { relay?: RelayStateView; status?: RelayStatusView; says: string }[] = [
      {
        relay: { kind: "reconnecting", address: RELAY_ADDRESS, attempt: 2, nextTryAt: agoIso(-5), lastError: "connection refused" },
        says: `Tried ${RELAY_ADDRESS}: connection refused. Hubble Lens keeps retrying.`,
      },
      {
        relay: { kind: "failed", address: RELAY_ADDRESS, reason: "certificate signed by unknown authority" },
        says: `Tried ${RELAY_ADDRESS}: certificate signed by unknown authority. Hubble Lens stopped retrying; reload to try again.`,
      },
      {
        status: relayStatus({ relay: { reachable: false, error: { code: "relay-unavailable", message: "dial tcp 10.0.0.1:80: i/o timeout" } } }),
        says: `Tried ${RELAY_ADDRESS}: dial tcp 10.0.0.1:80: i/o timeout. Hubble Lens keeps retrying.`,
      },
    ];
    for (const c of cases) {
      const { region, heading } = renderEmpty({ relay: c.relay, status: c.status });
      assert.equal(heading(), "Hubble Relay is not reachable", c.says);
      assert.ok(region.textContent!.includes(c.says), region.textContent!);
      assert.match(region.textContent!, /HUBBLE_RELAY_ADDR points at it/);
      assert.doesNotMatch(region.textContent!, L7_HINT);
      cleanup();
    }
  });

  it("a live stream outranks a status that last found the relay unreachable", () => {
    const { heading } = renderEmpty({ relay: LIVE, status: relayStatus({ relay: { reachable: false } }) });
    assert.equal(heading(), "Waiting for flows");
  });

  it("a relay without nodes: says so, lists the unavailable ones and how to enable Hubble", () => {
    const { region, heading } = renderEmpty({ relay: LIVE, status: relayStatus({ nodes: { connected: 0, unavailable: 2, unavailableNames: ["node-a", "node-b"], list: [] } }) });
    assert.equal(heading(), "No Hubble nodes connected");
    assert.match(region.textContent!, new RegExp(`The relay at ${RELAY_ADDRESS.replaceAll(".", "\\.")} answers but has no Cilium agent`));
    assert.match(region.textContent!, /Unavailable: node-a, node-b/);
    assert.match(region.textContent!, /hubble\.enabled=true/);
    assert.doesNotMatch(region.textContent!, L7_HINT);
  });

  it("connected and nothing filtered: waiting for flows, with the relay's rate (and a question when it is zero)", () => {
    const busy = renderEmpty({ relay: LIVE, status: relayStatus({ flows: { rate: 42 } }) });
    assert.equal(busy.heading(), "Waiting for flows");
    assert.match(busy.region.textContent!, new RegExp(`Connected to ${RELAY_ADDRESS.replaceAll(".", "\\.")}; no flows have arrived yet\\.`));
    assert.match(busy.region.textContent!, /The relay reports 42 flows\/s\./);
    cleanup();
    const quiet = renderEmpty({ relay: LIVE, status: relayStatus({ flows: { rate: 0 } }) });
    assert.match(quiet.region.textContent!, /The relay reports 0 flows\/s: is anything in the cluster talking\?/);
  });

  it("filters that exclude everything: lists each active setting, with the time window in words", () => {
    const view = viewWith({ namespaces: ["shop", "db"], verdicts: ["DROPPED"], filters: [parseFilterEntry("to:port=5432"), parseFilterEntry("!pod=checkout")], since: "1h" });
    const { region, heading } = renderEmpty({ relay: LIVE, status: relayStatus(), view, held: 0 });
    assert.equal(heading(), "No flows match");
    const lines = [...region.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]);
    assert.deepEqual(lines, [
      ["Namespaces", "shop, db"],
      ["Verdicts", "DROPPED"],
      ["Filters", "to:port=5432, !pod=checkout"],
      ["Time window", "last 1h"],
    ]);
    assert.match(region.textContent!, /Remove a filter, pick more namespaces or verdicts, or widen the time window\./);
  });

  it("flows held but the map's selection involves none of them: names the node or edge and how to clear it", () => {
    const node = renderEmpty({ relay: LIVE, status: relayStatus(), view: viewWith({}, { node: "wl:shop/checkout" }), held: 1234 });
    assert.equal(node.heading(), "Nothing for the selected node");
    assert.match(node.region.textContent!, /1,234 flows are in view, but none involve the selected node\. Clear the selection on the map \(Esc\)/);
    cleanup();
    const edge = renderEmpty({ relay: LIVE, status: relayStatus(), view: viewWith({ namespaces: ["shop"] }, { edge: "wl:shop/a|wl:shop/b|80/TCP" }), held: 5 });
    assert.equal(edge.heading(), "Nothing for the selected edge");
  });

  it("flows held, no selection and no setting to blame (the policy filter): says nothing in view matches", () => {
    const { region, heading } = renderEmpty({ relay: LIVE, status: relayStatus(), view: viewWith({}, { policy: "NetworkPolicy/shop/deny" }), held: 10 });
    assert.equal(heading(), "No flows match");
    assert.match(region.textContent!, /The relay is connected, but nothing in view matches\./);
  });

  it("a window that starts before the oldest flow held says older flows are gone: from the relay's buffers, or from the flow history", () => {
    const view = viewWith({ since: agoIso(3600) });
    const buffers = renderEmpty({ relay: LIVE, status: relayStatus({ flows: { oldestFlowTime: agoIso(600), bufferAgeSeconds: 600 } }), view });
    assert.match(buffers.region.textContent!, /The window starts before the oldest flow the relay still holds \(~10 min back\): older flows are gone from its buffers\./);
    cleanup();
    const history = renderEmpty({ relay: LIVE, status: relayStatus({ history: historyStatus({ reachesBack: agoIso(1800) }) }), view });
    assert.match(history.region.textContent!, /The window starts before the oldest flow kept in the flow history \(~30 min back\): older flows are gone\./);
    cleanup();
    const within = renderEmpty({ relay: LIVE, status: relayStatus({ flows: { oldestFlowTime: agoIso(7200), bufferAgeSeconds: 7200 } }), view });
    assert.doesNotMatch(within.region.textContent!, /older flows are gone/);
  });

  it("the L7 hint shows until a flow with an L7 record has been seen", () => {
    assert.match(renderEmpty({ relay: LIVE, status: relayStatus(), l7Seen: false }).region.textContent!, L7_HINT);
    cleanup();
    assert.doesNotMatch(renderEmpty({ relay: LIVE, status: relayStatus(), l7Seen: true }).region.textContent!, L7_HINT);
  });

  it("before the stream or /api/status says anything: connecting, no address yet; then it goes by what /api/status answers", async () => {
    answer = relayStatus({ nodes: { connected: 0, unavailable: 1, unavailableNames: ["node-a"], list: [] } });
    const { region, heading } = renderEmpty({});
    assert.equal(heading(), "Connecting to Hubble Relay…");
    assert.doesNotMatch(region.textContent!, /Address/);
    await waitUntil(() => heading() === "No Hubble nodes connected", "the status to arrive");
    answer = relayStatus();
  });

  it("text from the relay and the cluster renders as text, never as HTML", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const failed = renderEmpty({ relay: { kind: "failed", address: RELAY_ADDRESS, reason: hostile }, status: relayStatus() });
    assert.ok(failed.region.textContent!.includes(`: ${hostile}.`));
    cleanup();
    const nodes = renderEmpty({ relay: LIVE, status: relayStatus({ nodes: { connected: 0, unavailable: 1, unavailableNames: [hostile], list: [] } }) });
    assert.ok(nodes.region.textContent!.includes(`Unavailable: ${hostile}`));
    assert.equal(document.querySelector("img"), null);
  });
});
