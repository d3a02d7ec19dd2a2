// The server's map and Drops view count every flow of a view, exactly, whatever the browser gets:
// the hub over a real RelayClient and FlowFollower against the demo relay at 1,500 flows/s, a
// browser budget of 50 flows/s, and a direct count of the same window from the relay to compare.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { isInvestigatedDrop } from "@/lib/drops";
import { toFlowRow } from "@/lib/flow-model";
import { isAuthenticated } from "@/lib/service-map/aggregate-counts";
import { edgeIdOf } from "@/lib/service-map/ids";
import { applyMapFrame, type MapState } from "@/lib/service-map/wire";
import { type DropGroups } from "@/lib/drops";
import { flowToBoundedJson } from "@/lib/flow-json";
import { msToNs, nsToTimestamp } from "@/lib/timestamp";
import { type RunningDemoRelay, startDemoRelay } from "@/server/demo-relay";
import { FlowFollower } from "@/server/relay-client/flow-follower";
import { RelayClient } from "@/server/relay-client/relay-client";
import { stateView } from "@/server/runtime";
import { FlowHub } from "./hub";
import { filters, SubscriptionReader, waitUntil } from "./testing";

const RATE = 1500;

describe("the server's map and drops against a direct count from the demo relay", () => {
  /** The time of the newest flow the relay holds. */
  const newestFlowMs = async (): Promise<number> => {
    let newest = 0;
    for await (const r of client.getFlows(create(GetFlowsRequestSchema, { number: 1n }))) {
      if (r.responseTypes.case === "flow" && r.responseTypes.value.time) {
        newest = Math.max(newest, Number(r.responseTypes.value.time.seconds) * 1000 + Math.floor(r.responseTypes.value.time.nanos / 1e6));
      }
    }
    return newest;
  };

  let relay: RunningDemoRelay;
  let client: RelayClient;
  let hub: FlowHub;

  before(async () => {
    relay = await startDemoRelay({ port: 0, scenario: "shop", seed: 7, rate: RATE, bufferCapacity: 65_535 });
    client = new RelayClient({ address: relay.address, tls: null, dialTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
    hub = new FlowHub({
      openLive: (f) => (sink) => {
        const follower = new FlowFollower({
          source: client,
          request: { whitelist: [...f.whitelist], blacklist: [...f.blacklist] },
          onResponse: (r) => sink.response(r),
        });
        const off = follower.onStateChange((s) => sink.state(stateView(client.address, s)));
        follower.start();
        return { stop: () => (off(), void follower.stop()) };
      },
      queryHistory: (req, signal) => client.getFlows(req, { signal }),
    });
  });
  after(async () => {
    hub.shutdown();
    client.close();
    await relay.close();
  });

  it("every edge's flows, verdicts and the drop groups equal the relay's own count of the window, with the browser sampled", async () => {
    // A window that starts a second before the relay's newest flow (history) and ends 3 s after
    // it (live flows). The relay's clock, not ours: on a busy machine its flows may lag.
    const fromMs = (await newestFlowMs()) - 1000;
    const toMs = fromMs + 4000;
    const sub = hub.subscribe({
      filters: filters([]),
      follow: true,
      command: "hubble observe -f",
      budget: 50,
      window: { kind: "fixed", fromMs, toMs },
      grouping: "workload",
    });
    const reader = new SubscriptionReader(sub);
    let map: MapState | undefined;
    let drops: DropGroups | undefined;
    let read = 0;
    const apply = () => {
      for (; read < reader.events.length; read++) {
        const e = reader.events[read];
        if (e.type === "map") map = applyMapFrame(map, e.frame) ?? map;
        if (e.type === "drops") drops = e.groups;
      }
    };
    const flowsSeen: number[] = [];
    // Live flows only: the table's history (the last flows per node) is not what the budget limits.
    const sent = () => reader.of("flows").reduce((n, e) => n + (e.history ? 0 : e.flows.length), 0);
    // Wait until the relay is past the window, so the live stream has delivered all of it.
    await waitUntil(async () => (await newestFlowMs()) >= toMs + 500, "the relay moves past the window", 90_000, 200);
    flowsSeen.push(sent());
    await waitUntil(() => (apply(), map !== undefined && drops !== undefined), "map and drops", 5_000);
    // Live flows of the window reach the hub within a flush (100 ms) and the map within a tick
    // (500 ms); after that the map of a closed window no longer changes.
    const settled = Date.now() + 1000;
    await waitUntil(() => Date.now() > settled, "the last tick");
    apply();
    sub.close();

    // The relay's own answer for the same window.
    const direct = new Map<string, { flows: number; dropped: number; encrypted: number; authenticated: number }>();
    let directDrops = 0;
    const byReason = new Map<string, number>();
    const request = create(GetFlowsRequestSchema, { since: nsToTimestamp(msToNs(fromMs)), until: nsToTimestamp(msToNs(toMs)) });
    let total = 0;
    for await (const r of client.getFlows(request)) {
      if (r.responseTypes.case !== "flow") continue;
      const row = toFlowRow(flowToBoundedJson(r.responseTypes.value));
      total++;
      const id = edgeIdOf(row, "workload");
      const e = direct.get(id) ?? { flows: 0, dropped: 0, encrypted: 0, authenticated: 0 };
      e.flows++;
      if (row.verdict === "DROPPED") e.dropped++;
      if (row.encrypted) e.encrypted++;
      if (isAuthenticated(row)) e.authenticated++;
      direct.set(id, e);
      if (isInvestigatedDrop(row)) {
        directDrops++;
        const reason = row.dropReason || (row.verdict === "AUDIT" ? "(audit, no drop reason)" : "(no drop reason)");
        byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      }
    }
    assert.ok(total > RATE, `the window holds thousands of flows (${total}, map ${map?.snapshot.edges.reduce((n, e) => n + e.flows, 0)}, from ${new Date(fromMs).toISOString()})`);
    assert.ok(flowsSeen[0] < total / 5, `the browser got a sample (${flowsSeen[0]} live flows of ${total})`);
    const account = reader.of("sampling").at(-1)?.account;
    assert.ok(account && account.sent.forwarded < account.seen.forwarded, "the sampling account says forwarded flows were left out");

    const edges = new Map(map!.snapshot.edges.map((e) => [e.id, e] as const));
    const mapTotal = map!.snapshot.edges.reduce((n, e) => n + e.flows, 0);
    assert.equal(mapTotal, total, "every flow of the window is on the map once");
    for (const [id, want] of direct) {
      const got = edges.get(id);
      assert.ok(got, `edge ${id} is on the map`);
      assert.equal(got.flows, want.flows, `flows of ${id}`);
      assert.equal(got.verdicts.dropped, want.dropped, `drops of ${id}`);
      assert.equal(got.encrypted, want.encrypted, `encrypted flows of ${id}`);
      assert.equal(got.authenticated, want.authenticated, `mutually authenticated flows of ${id}`);
    }
    // The shop scenario encrypts between nodes (WireGuard) and has billing require SPIRE.
    assert.ok(
      [...direct.values()].some((e) => e.encrypted > 0),
      "some flows of the window were encrypted",
    );
    assert.ok(
      [...direct.values()].some((e) => e.authenticated > 0),
      "some connections of the window were mutually authenticated",
    );
    assert.equal(drops!.total, directDrops, "the Drops view counts every drop");
    assert.deepEqual(new Map(drops!.byReason.map((g) => [g.label, g.count])), byReason);
    // Without policies, drops are charged to what Hubble named: attribution ran on every drop.
    assert.equal(drops!.unattributed, drops!.byPolicy.find((g) => g.key === "")?.count ?? 0);
  });
});
