import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { RelayStateView } from "@/lib/sse";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { historyStatus, nodeStatus, RELAY_ADDRESS, relayStatus } from "@/components/testing/relay-status";
import { type PageServer, servePage } from "@/components/testing/server";
import { StatusIndicator } from "./status-indicator";

// The relay status button over the browser's API client and real fetch, against a small HTTP
// server that answers /api/status the way the route does (or fails the way it can).

afterEach(cleanup);

type Answer = { status: number; body: unknown };
let answer: Answer;
let server: PageServer;

before(async () => {
  server = await servePage((req, res) => {
    if (req.url !== "/api/status") res.writeHead(404).end();
    else res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
});
after(() => server.close());

const ok = (body: unknown): Answer => ({ status: 200, body });

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const LIVE: RelayStateView = { kind: "live", address: RELAY_ADDRESS, since: "2026-01-01T10:00:00Z" };
/** Reconnecting, the next try a minute from now (the countdown shows 5x s by the time it is read). */
const reconnecting = (): RelayStateView => ({ kind: "reconnecting", address: RELAY_ADDRESS, attempt: 3, nextTryAt: inSeconds(60), lastError: "connection refused" });

function renderIndicator(relay: RelayStateView | undefined) {
  render(withQueryClient(<StatusIndicator relay={relay} />));
  return () => screen.getByRole("button", { name: /^(Live|Connecting|Reconnecting|Relay|Connected)/ });
}

/** Waits until /api/status has answered (or failed) and the button shows it. */
async function statusShown(button: () => HTMLElement) {
  await waitUntil(() => /nodes|status unavailable|unreachable/.test(button().textContent!), "/api/status to answer");
}

/** What the button shows, part by part (its spans sit side by side, spaced by the layout). */
const parts = (button: HTMLElement) => [...button.children].filter((e) => e.getAttribute("aria-hidden") !== "true").map((e) => e.textContent);

/** The coloured dot before the text (decorative: hidden from assistive technology). */
const dotOf = (button: HTMLElement) => button.querySelector('[aria-hidden="true"]')!;

/** The value of a label in the open detail dialog. */
function detail(label: string): string {
  const dt = within(screen.getByRole("dialog", { name: "Relay status" }))
    .getAllByText(label)
    .find((e) => e.tagName === "DT");
  assert.ok(dt, `a "${label}" row in the detail`);
  return dt.nextElementSibling!.textContent!;
}

describe("StatusIndicator", () => {
  it("says the live stream's relay state, in its accessible name, with a dot coloured per state that pulses only while waiting", async () => {
    answer = ok(relayStatus());
    const cases: { relay: RelayStateView; says: RegExp; colour: string; pulses: boolean }[] = [
      { relay: LIVE, says: /^Live$/, colour: "bg-emerald-500", pulses: false },
      { relay: { kind: "connecting", address: RELAY_ADDRESS }, says: /^Connecting…$/, colour: "bg-slate-400", pulses: true },
      { relay: reconnecting(), says: /^Reconnecting, retrying in (5\d|60) s, attempt 3$/, colour: "bg-amber-500", pulses: true },
      { relay: { kind: "failed", address: RELAY_ADDRESS, reason: "certificate signed by unknown authority" }, says: /^Relay failed$/, colour: "bg-red-600", pulses: false },
    ];
    for (const c of cases) {
      const button = renderIndicator(c.relay);
      await statusShown(button);
      const [state, ...rest] = parts(button());
      assert.match(state!, c.says, c.relay.kind);
      assert.deepEqual(rest, ["· 2/2 nodes", "· 42 flows/s", "· buffers hold ~10 min"], c.relay.kind);
      const name = new RegExp(`^${c.says.source.slice(1, -1)} · 2/2 nodes · 42 flows/s · buffers hold ~10 min$`);
      assert.ok(screen.getByRole("button", { name }), `${c.relay.kind}: the accessible name says it all`);
      const dot = dotOf(button());
      assert.ok(dot.classList.contains(c.colour), `${c.relay.kind}: ${dot.className}`);
      assert.equal(dot.classList.contains("animate-pulse"), c.pulses, `${c.relay.kind}: pulses`);
      cleanup();
    }
  });

  it("without a stream it goes by /api/status: Connecting… until it answers, then Connected, or Relay unreachable in red without node or flow counts", async () => {
    answer = ok(relayStatus());
    let button = renderIndicator(undefined);
    assert.deepEqual(parts(button()), ["Connecting…"]);
    await statusShown(button);
    assert.deepEqual(parts(button()), ["Connected", "· 2/2 nodes", "· 42 flows/s", "· buffers hold ~10 min"]);
    assert.ok(dotOf(button()).classList.contains("bg-emerald-500"));
    cleanup();

    answer = ok(relayStatus({ relay: { reachable: false, error: { code: "relay-unavailable", message: "dial tcp: connection refused" } } }));
    button = renderIndicator(undefined);
    await statusShown(button);
    assert.deepEqual(parts(button()), ["Relay unreachable"]);
    assert.ok(dotOf(button()).classList.contains("bg-red-600"));
  });

  it("counts connected nodes out of known ones, in amber when some are missing", async () => {
    answer = ok(relayStatus({ nodes: { connected: 1, unavailable: 2, unavailableNames: ["node-b", "node-c"], list: [nodeStatus("node-a")] } }));
    const button = renderIndicator(LIVE);
    await statusShown(button);
    const nodes = within(button()).getByText(/nodes$/);
    assert.equal(nodes.textContent, "· 1/3 nodes");
    assert.ok(nodes.classList.contains("text-amber-700"), nodes.className);
    cleanup();

    answer = ok(relayStatus());
    const healthy = renderIndicator(LIVE);
    await statusShown(healthy);
    assert.ok(
      !within(healthy())
        .getByText(/nodes$/)
        .classList.contains("text-amber-700"),
      "all connected: not amber",
    );
  });

  it("says how far back the flow history reaches, and marks it (behind) in amber when the recorder does not keep up", async () => {
    answer = ok(relayStatus({ history: historyStatus({ reachesBack: inSeconds(-2 * 3600) }) }));
    let button = renderIndicator(LIVE);
    await statusShown(button);
    const history = () => within(button()).getByText(/history/);
    assert.equal(history().textContent, "· history ~2 h");
    assert.ok(!history().classList.contains("text-amber-700"));
    cleanup();

    const behind = historyStatus({ reachesBack: inSeconds(-2 * 3600) });
    answer = ok(relayStatus({ history: { ...behind, recorder: { ...behind.recorder!, behind: true, pending: 50_000 } } }));
    button = renderIndicator(LIVE);
    await statusShown(button);
    assert.equal(history().textContent, "· history ~2 h (behind)");
    assert.ok(history().classList.contains("text-amber-700"), history().className);
  });

  it("a click opens the detail dialog, focused: address, kind, version, flows and every node; Esc closes it and gives focus back", async () => {
    answer = ok(
      relayStatus({ nodes: { connected: 1, unavailable: 1, unavailableNames: ["node-b"], list: [nodeStatus("node-a"), nodeStatus("node-b", { state: "NODE_UNAVAILABLE" })] } }),
    );
    const button = renderIndicator(LIVE);
    await statusShown(button);
    assert.equal(button().getAttribute("aria-expanded"), "false");
    fireEvent.click(button());
    const dialog = screen.getByRole("dialog", { name: "Relay status" });
    assert.equal(button().getAttribute("aria-expanded"), "true");
    assert.equal(button().getAttribute("aria-controls"), dialog.id);
    assert.equal(document.activeElement, dialog);
    assert.equal(detail("Address"), RELAY_ADDRESS);
    assert.equal(detail("Kind"), "Hubble Relay");
    assert.equal(detail("Version"), "1.16.0");
    assert.equal(detail("In buffers"), "8,190 of 8,190 (100%)");
    const nodes = within(dialog).getByRole("region", { name: "Nodes" });
    assert.match(nodes.textContent!, /Nodes: 1 of 2 connected/);
    const states = within(nodes)
      .getAllByRole("row")
      .slice(1)
      .map((r) => [...r.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent));
    assert.deepEqual(states, [
      ["node-a", "connected"],
      ["node-b", "unavailable"],
    ]);
    assert.match(nodes.textContent!, /Unavailable: node-b/);

    fireEvent.keyDown(dialog, { key: "Escape" });
    assert.equal(screen.queryByRole("dialog"), null);
    assert.equal(document.activeElement, button());
    assert.equal(button().getAttribute("aria-expanded"), "false");
  });

  it("the detail while reconnecting gives the retry and the stream's last error", async () => {
    answer = ok(relayStatus());
    const button = renderIndicator(reconnecting());
    await statusShown(button);
    fireEvent.click(button());
    assert.match(detail("Live stream"), /^reconnecting, retrying in (5\d|60) s, attempt 3$/);
    assert.equal(detail("Last error"), "connection refused");
  });

  it("the detail of the flow history: what it keeps, where, and whether the recorder keeps up", async () => {
    const h = historyStatus({ reachesBack: inSeconds(-3 * 86400), keep: "rollup", store: "clickhouse", flows: 1_234_567, bytes: 2.5e9 });
    answer = ok(relayStatus({ history: { ...h, recorder: { ...h.recorder!, behind: true, lostEvents: 12, lastError: "disk full" } } }));
    const button = renderIndicator(LIVE);
    await statusShown(button);
    fireEvent.click(button());
    const history = screen.getByRole("region", { name: "Flow history" });
    assert.match(history.textContent!, /Reach back~3 d \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)/);
    assert.match(history.textContent!, /Kept1,234,567 flows, 2\.5 GB in ClickHouse \(drops, audits, errors and L7; forwarded flows counted per minute\)/);
    assert.match(history.textContent!, /Recorderbehind: the store does not keep up · newest flow ~2 s ago · 12 lost by the relay/);
    assert.match(history.textContent!, /Last errordisk full/);
  });

  it("when /api/status fails: the button says status unavailable and the detail gives the server's message", async () => {
    answer = { status: 503, body: { error: { code: "relay-unavailable", message: "Hubble Relay is not reachable." } } };
    const button = renderIndicator(LIVE);
    await statusShown(button);
    assert.deepEqual(parts(button()), ["Live", "· status unavailable"]);
    fireEvent.click(button());
    assert.equal(detail("Status"), "/api/status failed: Hubble Relay is not reachable.");
    assert.equal(detail("Kind"), "—");
  });

  it("node names and errors from the relay render as text, never as HTML", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    answer = ok(relayStatus({ nodes: { connected: 1, unavailable: 1, unavailableNames: [hostile], list: [nodeStatus(hostile)] } }));
    const button = renderIndicator({ kind: "failed", address: RELAY_ADDRESS, reason: hostile });
    await statusShown(button);
    fireEvent.click(button());
    const dialog = screen.getByRole("dialog", { name: "Relay status" });
    assert.equal(detail("Last error"), hostile);
    assert.ok(within(dialog).getAllByText(hostile).length >= 2, "the node's name shown literally");
    assert.equal(document.querySelector("img"), null);
  });
});
