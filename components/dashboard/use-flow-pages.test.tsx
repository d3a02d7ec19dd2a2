import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { act, cleanup, render, screen } from "@testing-library/react";
import { emptyFlowQuery, type FlowQuery } from "@/lib/filter-model";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { type PageServer, servePage } from "@/components/testing/server";
import { type FlowPages, useFlowPages } from "./use-flow-pages";

// Paging a paused view through /api/flows/history with the API client, against a real HTTP server
// that answers `until` and `last` the way the route does, over 1,500 flows one millisecond apart.

afterEach(cleanup);

const PAUSED_AT = Date.parse("2026-01-01T10:00:00Z");
const FLOWS = 1500;
/** Flow i happened i ms before the pause (flow 0 is the newest). */
const timeOf = (i: number) => new Date(PAUSED_AT - i).toISOString();
const line = (i: number) =>
  JSON.stringify({
    flow: {
      time: timeOf(i),
      uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      verdict: "FORWARDED",
      IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
    },
    time: timeOf(i),
  });

let failWith: { status: number; body: string } | undefined;
let server: PageServer;

before(async () => {
  server = await servePage((req, res) => {
    const url = new URL(req.url ?? "/", "http://page.test");
    if (url.pathname !== "/api/flows/history") return void res.writeHead(404).end();
    if (failWith) return void res.writeHead(failWith.status, { "content-type": "application/json" }).end(failWith.body);
    const until = Date.parse(url.searchParams.get("until") ?? "");
    const last = Number(url.searchParams.get("last"));
    const lines: string[] = [];
    for (let i = 0; i < FLOWS && lines.length < last; i++) if (PAUSED_AT - i <= until) lines.push(line(i));
    res.writeHead(200, { "content-type": "application/x-ndjson" }).end(lines.reverse().join("\n") + "\n");
  });
});
after(() => server.close());

let pages: FlowPages;
function Probe(props: { query: FlowQuery }) {
  pages = useFlowPages(props.query, PAUSED_AT);
  return <span data-testid="state">{pages.state}</span>;
}

const query: FlowQuery = { ...emptyFlowQuery(), since: "2026-01-01T09:59:00Z" };
const ready = (what: string) => waitUntil(() => pages.state !== "loading", what);

describe("useFlowPages", () => {
  it("the newest page first, then older ones, and back to the newer one", async () => {
    failWith = undefined;
    render(withQueryClient(<Probe query={query} />));
    await ready("the first page");
    assert.equal(pages.state, "ready");
    assert.equal(pages.flows.rows.length, 1000);
    assert.equal(pages.flows.rows[0].timeMs, PAUSED_AT, "newest first");
    assert.deepEqual([pages.page, pages.hasOlder, pages.hasNewer], [0, true, false]);

    act(() => pages.older());
    await waitUntil(() => pages.page === 1 && pages.state === "ready", "the older page");
    assert.equal(pages.flows.rows.length, 500);
    assert.equal(pages.flows.rows[0].timeMs, PAUSED_AT - 1000, "the page after the first's oldest flow, none repeated");
    assert.deepEqual([pages.hasOlder, pages.hasNewer], [false, true]);

    act(() => pages.newer());
    await waitUntil(() => pages.page === 0 && pages.state === "ready", "the newest page again");
    assert.equal(pages.flows.rows[0].timeMs, PAUSED_AT);
  });

  it("an error answer: state error with the server's message", async () => {
    failWith = { status: 400, body: JSON.stringify({ error: { code: "invalid-query", message: "filter: invalid regex", param: "filter", value: "(" } }) };
    render(withQueryClient(<Probe query={{ ...query, since: "2026-01-01T09:58:00Z" }} />));
    await ready("the error");
    assert.deepEqual([pages.state, pages.error], ["error", "filter: invalid regex"]);
    assert.equal(screen.getByTestId("state").textContent, "error");
  });
});
