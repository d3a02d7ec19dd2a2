import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, render, screen } from "@testing-library/react";
import type { JsonObject } from "@bufbuild/protobuf";
import { emptyFlowQuery, type FlowQuery } from "@/lib/filter-model";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { type PageServer, servePage } from "@/components/testing/server";
import { type SelectedFlow, useSelectedFlow } from "./use-selected-flow";

// The drawer's flow when it is not in view (a shared link opened later): asked of
// /api/flows/history by uuid through the API client, against a real HTTP server.

afterEach(cleanup);

const UUID = "6f1c2e3a-1b2c-4d5e-8f90-0123456789ab";
const LINE = JSON.stringify({
  flow: { time: "2026-01-01T10:00:00Z", uuid: UUID, verdict: "DROPPED", IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" }, node_name: "n1" },
  node_name: "n1",
  time: "2026-01-01T10:00:00Z",
});

type Answer = { status: number; type: string; body: string };
let answer: Answer;
let server: PageServer;

before(async () => {
  server = await servePage((req, res) => {
    if (!req.url?.startsWith("/api/flows/history?")) res.writeHead(404).end();
    else res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
  });
});
after(() => server.close());

function Probe(props: { id: string | undefined; inView?: JsonObject; query: FlowQuery }) {
  const selected = useSelectedFlow(props.id, props.inView, props.query);
  return <pre data-testid="selected">{JSON.stringify(selected)}</pre>;
}

function shown(): SelectedFlow {
  return JSON.parse(screen.getByTestId("selected").textContent!) as SelectedFlow;
}

async function settled(): Promise<SelectedFlow> {
  await waitUntil(() => shown().state !== "loading", "the selected flow to load");
  return shown();
}

const query: FlowQuery = { ...emptyFlowQuery(), since: "2026-01-01T09:00:00Z" };

describe("useSelectedFlow", () => {
  it("a flow in view is shown as it is, and nothing is asked", () => {
    const before = server.requests.length;
    render(withQueryClient(<Probe id={UUID} inView={{ uuid: UUID }} query={query} />));
    assert.deepEqual(shown(), { state: "found", raw: { uuid: UUID } });
    assert.equal(server.requests.length, before);
  });

  it("a flow without a uuid cannot be asked for", () => {
    render(withQueryClient(<Probe id="row-17" query={query} />));
    const s = shown();
    assert.equal(s.state, "gone");
    assert.match(s.state === "gone" ? s.reason : "", /has no uuid/);
  });

  it("asks the history by uuid within the view's window, and shows what comes back", async () => {
    answer = { status: 200, type: "application/x-ndjson", body: `${LINE}\n` };
    const before = server.requests.length;
    render(withQueryClient(<Probe id={UUID} query={query} />));
    const s = await settled();
    assert.equal(s.state, "found");
    assert.equal(s.state === "found" ? s.raw.uuid : "", UUID);
    const asked = new URL(server.requests[before].slice("GET ".length), server.origin).searchParams;
    assert.deepEqual(Object.fromEntries(asked), { filter: `uuid=${UUID}`, follow: "false", limit: "1", since: "2026-01-01T09:00:00Z" });
  });

  it("nothing comes back: the relay and the history no longer hold it", async () => {
    answer = { status: 200, type: "application/x-ndjson", body: "" };
    render(withQueryClient(<Probe id={UUID} query={{ ...query, since: "2026-01-01T08:00:00Z" }} />));
    const s = await settled();
    assert.match(s.state === "gone" ? s.reason : "", /no longer holds this flow/);
  });

  it("an error answer: the server's message, or what a proxy sent, in the reason", async () => {
    answer = { status: 503, type: "application/json", body: JSON.stringify({ error: { code: "relay-unavailable", message: "Hubble Relay is not reachable." } }) };
    render(withQueryClient(<Probe id={UUID} query={{ ...query, since: "2026-01-01T07:00:00Z" }} />));
    const s = await settled();
    assert.equal(s.state === "gone" ? s.reason : "", "The relay could not be asked for this flow: Hubble Relay is not reachable.");
    cleanup();

    answer = { status: 504, type: "text/html", body: "<html><title>504 Gateway Time-out</title></html>" };
    render(withQueryClient(<Probe id={UUID} query={{ ...query, since: "2026-01-01T06:00:00Z" }} />));
    const t = await settled();
    assert.match(
      t.state === "gone" ? t.reason : "",
      /^The relay could not be asked for this flow: GET \/api\/flows\/history failed: HTTP 504 Gateway Timeout, with an HTML page titled "504 Gateway Time-out"/,
    );
  });
});
